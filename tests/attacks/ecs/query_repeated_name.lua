-- attack: a readable name 40,000 times in one query (entities × names of host work)
-- expect: runtime
-- limits: fuel=2e9 memory=128MiB
-- message: at most 64
local names = {}
for i = 1, 40000 do names[i] = "Position" end
function on_update() ecs.query(table.unpack(names)) end
