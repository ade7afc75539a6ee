-- attack: despawning without permission
-- expect: permission
function on_update() ecs.despawn(entity) end
