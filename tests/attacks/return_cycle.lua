-- attack: a result that contains itself twice over, to walk 2^32 paths
-- expect: runtime
-- message: a table that contains itself
local t = {}
t.a = t
t.b = t
return t
