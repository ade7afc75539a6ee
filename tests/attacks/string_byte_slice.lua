-- attack: too many results for the Lua stack is a stack error
-- expect: stack
print(string.rep("x", 1e6):byte(1, -1))
