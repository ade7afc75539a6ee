-- attack: an event the script may not emit is refused
-- expect: permission
function on_update() ecs.emit("grant_admin", {who = entity}) end
