-- Counts down, then spawns one marker entity.
function on_update(dt)
  local timer = ecs.get(entity, "Timer")
  if timer.left > 0 then
    ecs.insert(entity, "Timer", {left = timer.left - 1})
  elseif timer.left == 0 then
    ecs.spawn{Position = {x = 10, y = 10}}
    ecs.insert(entity, "Timer", {left = -1})
    log.info("spawned a marker")
  end
end
