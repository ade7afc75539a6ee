-- attack: a spawn whose value contains itself twice over (exponential to encode)
-- expect: runtime
-- allow: spawn
-- message: a table that contains itself
function on_update() local t = {} t.a = t t.b = t ecs.spawn{Position = t} end
