-- attack: debug has only traceback
-- expect: runtime
local r = debug.getregistry() print("ESCAPED", r)
