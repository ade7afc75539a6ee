-- attack: NaN and infinity do not fit a number field
-- expect: runtime
function on_update() ecs.insert(entity, "Position", {x = 0/0, y = 1/0}) end
