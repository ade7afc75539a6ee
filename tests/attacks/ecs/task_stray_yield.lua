-- attack: a callback yields without task.wait after a write; the write is rolled back
-- expect: runtime
-- message: coroutine.yield outside a coroutine of the script's own
function on_update() ecs.insert(entity, "Position", {x = 999, y = 999}) coroutine.yield() end
