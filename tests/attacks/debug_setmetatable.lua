-- attack: no debug.setmetatable
-- expect: runtime
debug.setmetatable(1, {__index = function() return "ESCAPED" end})
