-- attack: a spawned task writes and fails at once; its error ends the call and nothing is written
-- expect: runtime
-- message: spawned and failed
function on_update()
  task.spawn(function() ecs.insert(entity, "Position", {x = 999, y = 999}) error("spawned and failed") end)
end
