-- attack: deep Lua recursion ends as stack
-- expect: stack
-- limits: fuel=1e11 memory=64MiB
local function f(n) return f(n + 1) + 1 end f(1)
