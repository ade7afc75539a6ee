-- attack: string.rep with a separator hits the memory cap
-- expect: memory
local s = string.rep("abc", 1e8, ",") print("ESCAPED", #s)
