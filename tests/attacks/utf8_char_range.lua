-- attack: utf8.char range
-- expect: runtime
print(utf8.char(0x80000000))
