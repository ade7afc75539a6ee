-- attack: a callback yields without task.wait after a write; the write is rolled back
-- expect: runtime
-- message: attempt to yield from outside a coroutine
function on_update() ecs.insert(entity, "Position", {x = 999, y = 999}) coroutine.yield() end
