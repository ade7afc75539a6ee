-- attack: an erroring message handler is contained
-- expect: ok
local ok, e = xpcall(error, function(m) error(m) end, "boom") if ok then print("ESCAPED") end
