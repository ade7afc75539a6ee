-- attack: no upvalue access
-- expect: runtime
print("ESCAPED", debug.getupvalue(print, 1))
