-- attack: too many locals is a compile error
-- expect: runtime
local src = {} for i = 1, 300 do src[i] = "local a" .. i .. " = " .. i end assert(load(table.concat(src, "\n")))
