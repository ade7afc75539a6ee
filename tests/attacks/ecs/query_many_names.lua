-- attack: a query with ten thousand names is refused
-- expect: runtime
function on_update() local names = {} for i = 1, 10000 do names[i] = "C" .. i end ecs.query(table.unpack(names)) end
