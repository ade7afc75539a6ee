-- attack: a looping __index in a load environment runs out of fuel
-- expect: fuel
load("return x", "c", "t", setmetatable({}, {__index = function() while true do end end}))()
