-- attack: an erroring __close is a runtime error
-- expect: runtime
local x <close> = setmetatable({}, {__close = function() error("closing") end})
