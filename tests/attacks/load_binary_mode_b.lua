-- attack: mode b is forced to text
-- expect: runtime
-- message: attempt to load a binary chunk
assert(load(string.char(27) .. "LuaT", "x", "b"))
