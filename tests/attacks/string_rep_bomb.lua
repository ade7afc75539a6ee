-- attack: string.rep of 1 GiB hits the memory cap
-- expect: memory
-- message: not enough memory
local s = string.rep("x", 2^30) print("ESCAPED", #s)
