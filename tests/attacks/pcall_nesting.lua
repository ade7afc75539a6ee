-- attack: pcall recursion ends in a caught C stack overflow
-- expect: ok
local function f() return pcall(f) end local ok = f() if ok ~= true and ok ~= false then print("ESCAPED") end
