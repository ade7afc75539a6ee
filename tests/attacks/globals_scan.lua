-- attack: nothing forbidden is reachable from _G or the string metatable
-- expect: ok
local forbidden = {os = 1, io = 1, package = 1, require = 1, dofile = 1, loadfile = 1, loadstring = 1, module = 1}
local seen = {}
local function scan(t, path, depth)
    if depth > 3 or seen[t] then return end
    seen[t] = true
    for k, v in pairs(t) do
        if forbidden[k] then print("ESCAPED: " .. path .. "." .. tostring(k)) end
        if type(v) == "table" then scan(v, path .. "." .. tostring(k), depth + 1) end
    end
    local mt = getmetatable(t)
    if type(mt) == "table" then scan(mt, path .. "<mt>", depth + 1) end
end
scan(_G, "_G", 0)
scan(getmetatable(""), "string-mt", 0)
for k in pairs(debug) do if k ~= "traceback" then print("ESCAPED: debug." .. k) end end
