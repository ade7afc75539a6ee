-- attack: an impossible size is refused
-- expect: runtime
local s = string.rep("x", 1e18) print("ESCAPED", #s)
