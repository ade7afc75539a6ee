-- attack: stop the collector and make garbage forever, to pile it up past the cap
-- expect: fuel
-- (Lua's emergency collection still frees garbage when an allocation would
-- pass the cap, so the loop runs until its fuel is used up.)
collectgarbage("stop")
local chunk = string.rep("x", 100000)
local i = 0
while true do
    i = i + 1
    local garbage = chunk .. i
end
