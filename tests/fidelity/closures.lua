local function counter()
  local n = 0
  return function() n = n + 1 return n end
end
local c1, c2 = counter(), counter()
print(c1(), c1(), c2())
local fns = {}
for i = 1, 3 do fns[i] = function() return i end end
print(fns[1](), fns[2](), fns[3]())
local function varargs(...)
  return select("#", ...), ...
end
print(varargs(1, nil, 3, nil))
print(select(-1, "a", "b", "c"))
local function tail(n) if n == 0 then return "bottom" end return tail(n - 1) end
print(tail(100000))
print(string.format("%s", (function(...) return ... end)(1, 2)))
local memo = setmetatable({}, {__mode = "v"})
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fib(20))
print(pcall(nil))
print(pcall(function() local t = nil; return t.x end))
print(pcall(function() undefined_function() end))
print(select("#", pcall(error)))
print(tostring(nil), tostring(false), tonumber(nil and 1 or "5"))
print(next({}), type(next), rawequal("a", "a"))
local t = setmetatable({}, {__index = function(_, k) return k * 2 end})
print(t[21])
print(type(arg))
