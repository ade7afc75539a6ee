-- attack: a looping __close runs out of fuel
-- expect: fuel
do local x <close> = setmetatable({}, {__close = function() while true do end end}) end
