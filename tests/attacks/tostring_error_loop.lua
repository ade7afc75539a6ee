-- attack: a looping __tostring on an error value runs out of fuel
-- expect: fuel
error(setmetatable({}, {__tostring = function() while true do end end}))
