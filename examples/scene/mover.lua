-- Moves its entity by its velocity every tick, and hears about new markers.
function on_update(dt)
  local p = ecs.get(entity, "Position")
  local v = ecs.get(entity, "Velocity")
  ecs.insert(entity, "Position", {x = p.x + v.x * dt, y = p.y + v.y * dt})
end

function on_event(name, payload)
  print(("heard %s: a marker at %g,%g"):format(name, payload.at.x, payload.at.y))
end
