-- attack: querying with a component the script may not read
-- expect: permission
function on_update() ecs.query("Position", {without = {"Secret"}}) end
