local t = {}
for i = 1, 10 do t[i] = ("x"):rep(i) end
print(table.concat(t, ","), pcall(error, {}))
return t
