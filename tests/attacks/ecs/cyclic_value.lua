-- attack: a cyclic component value is rejected
-- expect: runtime
function on_update() local v = {y = 0} v.x = v ecs.insert(entity, "Position", v) end
