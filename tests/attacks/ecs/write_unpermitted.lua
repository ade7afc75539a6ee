-- attack: writing a component without permission
-- expect: permission
function on_update() ecs.insert(entity, "Velocity", {x = 1, y = 1}) end
