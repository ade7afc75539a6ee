-- Waits two seconds of game time, spawns a marker, and tells whoever listens.
function on_start()
  task.wait(2)
  ecs.spawn{Position = {x = 10, y = 10}}
  log.info("spawned a marker")
  ecs.emit("spawned", {at = {x = 10, y = 10}})
end
