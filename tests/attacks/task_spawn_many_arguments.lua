-- attack: task.spawn and task.delay with a thousand arguments, each a number whose bits would make a pointer (moved onto the new task's 40-slot stack)
-- expect: ok
local t = {}
for i = 1, 1000 do t[i] = 1.5574937426843845e+302 end
local got
task.spawn(function(...) got = select("#", ...) end, table.unpack(t))
assert(got == 1000, got)
task.delay(1, function(...) end, table.unpack(t))
local small = {}
for i = 1, 100 do small[i] = i end
task.spawn(function(...) got = select(100, ...) end, table.unpack(small))
assert(got == 100, got)
-- Nothing around the stacks was overwritten.
assert(type(select) == "function" and type(print) == "function" and type(task.spawn) == "function")
local s = string.rep("x", 100000)
assert(#s == 100000)
