-- attack: a numeric for at maxinteger ends (no wrap-around)
-- expect: ok
local n = 0 for i = math.maxinteger - 2, math.maxinteger do n = n + 1 end if n ~= 3 then print("ESCAPED", n) end
