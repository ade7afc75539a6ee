-- attack: deeply nested source hits the parser's C-stack limit
-- expect: stack
local f, e = load("return " .. string.rep("(", 1e5) .. "1" .. string.rep(")", 1e5)) error(e)
