local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
print(co(1), co(5), string.format("%q", "a\0b"), utf8.char(72, 228))
