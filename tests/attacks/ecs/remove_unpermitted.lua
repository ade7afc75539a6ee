-- attack: removing a component without permission
-- expect: permission
function on_update() ecs.remove(entity, "Velocity") end
