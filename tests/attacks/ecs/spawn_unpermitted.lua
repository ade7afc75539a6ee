-- attack: spawning without permission
-- expect: permission
function on_update() ecs.spawn{Position = {x = 1, y = 1}} end
