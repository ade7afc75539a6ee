-- attack: table.concat growth hits the memory cap
-- expect: memory
local t = {} for i = 1, 1e8 do t[i] = "0123456789" end print(#table.concat(t))
