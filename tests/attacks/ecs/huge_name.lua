-- attack: a megabyte-long component name is refused (and not echoed whole)
-- expect: runtime
-- message: (1000000 bytes)
function on_update() ecs.get(entity, string.rep("P", 1e6)) end
