-- attack: string.dump removed
-- expect: runtime
local f = string.dump(print) print("ESCAPED", #f)
