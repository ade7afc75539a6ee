-- attack: binary chunks are refused
-- expect: runtime
-- message: attempt to load a binary chunk
assert(load("\27LuaT\0\25\147\r\n\26\n"))
