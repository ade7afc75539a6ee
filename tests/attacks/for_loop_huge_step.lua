-- attack: huge steps do not overflow
-- expect: ok
local n = 0 for i = 1, math.maxinteger, math.maxinteger // 2 do n = n + 1 end if n ~= 3 then print("ESCAPED", n) end
