for i = 1, 3 do
  for j = 1, 3 do
    if j == 2 then goto continue end
    print(i, j)
    ::continue::
  end
end
do
  local k = 0
  ::top::
  k = k + 1
  if k < 3 then goto top end
  print("k", k)
end
local ok, err = load("goto nowhere")
print(ok, err)
local x <const> = 10
print(x)
do
  local log = {}
  do
    local a <close> = setmetatable({}, {__close = function() log[#log + 1] = "closed a" end})
    local b <close> = setmetatable({}, {__close = function() log[#log + 1] = "closed b" end})
  end
  print(table.concat(log, ", "))
end
print(load("local c <const> = 1; c = 2"))
