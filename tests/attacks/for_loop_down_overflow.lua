-- attack: a descending for at mininteger ends
-- expect: ok
local n = 0 for i = math.mininteger + 2, math.mininteger, -1 do n = n + 1 end if n ~= 3 then print("ESCAPED", n) end
