-- attack: ten thousand spawns then an error: all rolled back
-- expect: runtime
-- allow: spawn
function on_update() for i = 1, 10000 do ecs.spawn{Position = {x = i, y = 0}} end error("after spawning") end
