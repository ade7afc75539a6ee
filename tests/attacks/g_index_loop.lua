-- attack: a looping _G.__index runs out of fuel in its own sandbox
-- expect: fuel
setmetatable(_G, {__index = function() while true do end end}) return undefined_global
