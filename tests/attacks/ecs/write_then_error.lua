-- attack: writes before an error are rolled back
-- expect: runtime
function on_update() ecs.insert(entity, "Position", {x = 999, y = 999}) error("boom") end
