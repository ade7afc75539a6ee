-- Moves its entity by its velocity every tick.
function on_update(dt)
  local p = ecs.get(entity, "Position")
  local v = ecs.get(entity, "Velocity")
  ecs.insert(entity, "Position", {x = p.x + v.x * dt, y = p.y + v.y * dt})
end
