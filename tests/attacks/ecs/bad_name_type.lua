-- attack: a table as a component name
-- expect: runtime
function on_update() ecs.insert(entity, {}, {x = 1, y = 1}) end
