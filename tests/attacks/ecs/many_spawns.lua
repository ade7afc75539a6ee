-- attack: a flood of spawns stops at the per-call write cap and is rolled back
-- expect: runtime
-- limits: fuel=1e11
-- allow: spawn
-- message: too many writes in one call
function on_update() for i = 1, 1e9 do ecs.spawn{Position = {x = i, y = 0}} end end
