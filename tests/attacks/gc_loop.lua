-- attack: a looping finalizer runs out of fuel
-- expect: fuel
setmetatable({}, {__gc = function() while true do end end}) collectgarbage()
