local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({x = x, y = y}, Vec) end
function Vec.__add(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
function Vec.__eq(a, b) return a.x == b.x and a.y == b.y end
function Vec.__lt(a, b) return a.x < b.x end
function Vec.__le(a, b) return a.x <= b.x end
function Vec.__tostring(v) return "(" .. v.x .. ", " .. v.y .. ")" end
function Vec.__len(v) return 2 end
function Vec.__call(v, k) return v[k] end
function Vec.__concat(a, b) return tostring(a) .. tostring(b) end
function Vec.__unm(v) return Vec.new(-v.x, -v.y) end
function Vec:len2() return self.x * self.x + self.y * self.y end
local a, b = Vec.new(1, 2), Vec.new(3, 4)
print(tostring(a + b), a == Vec.new(1, 2), a < b, a <= b, #a, a("y"), a .. b, tostring(-a), b:len2())
local defaults = setmetatable({}, {__index = function(t, k) return k .. "!" end})
print(defaults.hello, rawget(defaults, "hello"))
local log = {}
local proxy = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k rawset(t, k, v) end})
proxy.a = 1 proxy.b = 2 proxy.a = 3
print(table.concat(log, ","), proxy.a)
local locked = setmetatable({}, {__metatable = "locked"})
print(getmetatable(locked), pcall(setmetatable, locked, {}))
local weak = setmetatable({}, {__mode = "k"})
print(getmetatable(weak).__mode)
local idx = setmetatable({}, {__index = {inherited = true}})
print(idx.inherited, rawlen({1, 2}), rawequal(a, a))
print(pcall(function() return a + 1 end))
