-- attack: console output is capped
-- expect: output
for i = 1, 1e6 do print(string.rep("x", 100)) end
