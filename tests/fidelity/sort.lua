local items = {}
for i = 1, 50 do items[i] = (i * 37) % 53 end
table.sort(items)
print(table.concat(items, " "))
table.sort(items, function(a, b) return a > b end)
print(table.concat(items, " "))
local people = {{name = "b", age = 30}, {name = "a", age = 30}, {name = "c", age = 20}}
table.sort(people, function(x, y)
  if x.age ~= y.age then return x.age < y.age end
  return x.name < y.name
end)
for _, p in ipairs(people) do print(p.name, p.age) end
local t = {1, 2, 3}
table.insert(t, 4) table.insert(t, 1, 0)
print(table.concat(t, ","), table.remove(t), table.remove(t, 1), table.concat(t, ","))
print(table.unpack({1, 2, 3}, 2))
print(select("#", table.unpack({}, 1, 3)))
print(table.concat(table.move({1, 2, 3}, 1, 3, 2, {9}), ","))
print(table.pack(1, nil, 3).n)
print(pcall(table.sort, {3, 1, 2}, function(a, b) return true end))
print(pcall(table.insert, {}, 1, 2, 3))
