-- attack: CVE-2022-33099 shape: a message handler at stack overflow
-- expect: ok
-- limits: fuel=1e11
local function f() return f() + 1 end local ok, e = xpcall(f, function(m) return string.rep("x", 100) .. tostring(m) end) if ok then print("ESCAPED") end
