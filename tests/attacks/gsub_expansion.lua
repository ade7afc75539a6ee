-- attack: gsub expansion hits the memory cap
-- expect: memory
local s = string.rep("x", 1e6):gsub("x", string.rep("y", 1000)) print("ESCAPED", #s)
