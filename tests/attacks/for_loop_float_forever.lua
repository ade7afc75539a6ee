-- attack: a loop to infinity runs out of fuel
-- expect: fuel
for i = 1, math.huge do end
