-- attack: a looping __index chain is detected
-- expect: runtime
local t = {} setmetatable(t, {__index = t}) local mt = getmetatable(t) mt.__index = setmetatable({}, mt) return t.x
