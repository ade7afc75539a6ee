-- collectgarbage with every option Lua 5.4 has (the results that do not
-- depend on memory addresses or sizes).
print(type(collectgarbage("count")), math.type(collectgarbage("count")))
print(collectgarbage("isrunning"))
collectgarbage("stop")
print(collectgarbage("isrunning"))
local garbage = {}
for i = 1, 1000 do garbage[i] = {i} end
garbage = nil
collectgarbage("restart")
print(collectgarbage("isrunning"))
print(collectgarbage("collect"), collectgarbage())
print(collectgarbage("generational"))
print(collectgarbage("generational"))
print(collectgarbage("incremental"))
print(collectgarbage("incremental", 200, 100, 13))
print(collectgarbage("setpause", 150), collectgarbage("setpause", 200))
print(collectgarbage("setstepmul", 200), collectgarbage("setstepmul", 100))
print(type(collectgarbage("step", 0)))
print(pcall(collectgarbage, "nonsense"))
-- A full collection runs finalizers, stopped collector or not.
collectgarbage("stop")
local collected = false
setmetatable({}, {__gc = function() collected = true end})
print(collected)
collectgarbage()
print(collected)
collectgarbage("restart")
