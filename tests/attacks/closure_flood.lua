-- attack: closures pile up to the memory cap
-- expect: memory
-- limits: fuel=1e11 memory=16MiB
local t = {} for i = 1, 1e9 do t[i] = function() return i end end
