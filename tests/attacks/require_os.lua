-- attack: no require
-- expect: runtime
local os = require("os") print("ESCAPED", os)
