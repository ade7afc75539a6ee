-- attack: load with an environment inheriting _G finds nothing
-- expect: ok
local f = load("return os, io, require", "x", "t", setmetatable({}, {__index = _G})) local a, b, c = f() if a or b or c then print("ESCAPED") end
