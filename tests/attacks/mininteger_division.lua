-- attack: mininteger // -1 wraps as in native Lua, no trap
-- expect: ok
if math.mininteger // -1 ~= math.mininteger or math.mininteger % -1 ~= 0 then print("ESCAPED") end
