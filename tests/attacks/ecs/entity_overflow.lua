-- attack: integer-overflowing entity ids
-- expect: runtime
function on_update() ecs.get(math.mininteger, "Position") end
