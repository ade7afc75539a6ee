-- attack: a reader function cannot smuggle a binary chunk
-- expect: runtime
-- message: attempt to load a binary chunk
local parts = {string.char(27), "LuaT", "\0"} local i = 0 assert(load(function() i = i + 1 return parts[i] end))
