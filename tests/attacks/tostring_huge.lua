-- attack: a huge __tostring result hits the memory cap
-- expect: memory
print(string.format("%s", setmetatable({}, {__tostring = function() return string.rep("x", 2^30) end})))
