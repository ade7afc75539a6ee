-- attack: writes before running out of fuel are rolled back
-- expect: fuel
function on_update() ecs.insert(entity, "Position", {x = 999, y = 999}) while true do end end
