-- Has no permissions: every try is refused, and it is disabled after three.
function on_update()
  local ok, err = pcall(ecs.query, "Position")
  print(err)
end
