-- attack: a huge component value is rejected
-- expect: runtime
function on_update() ecs.insert(entity, "Position", {x = string.rep("x", 1e6), y = 0}) end
