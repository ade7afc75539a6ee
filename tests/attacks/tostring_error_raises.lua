-- attack: an erroring __tostring on an error value is contained
-- expect: runtime
error(setmetatable({}, {__tostring = function() error("again") end}))
