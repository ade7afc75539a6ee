-- attack: ecs.each naming a component 64 times, its iterator stepped from a fresh coroutine (whose stack starts at 45 slots)
-- expect: ok
function on_update()
  local names = {}
  for i = 1, 64 do names[i] = "Position" end
  local step = ecs.each(table.unpack(names))
  local count = coroutine.wrap(function() return select("#", step()) end)()
  assert(count == 65, count)
  -- Every value of a repeated name is a table of its own.
  local values = table.pack(ecs.each("Position", "Position")())
  assert(values[2] ~= values[3] and values[2].x == values[3].x)
  -- A number whose bits would make a pointer is no name.
  local ok, message = pcall(ecs.each, 1.5574937426843845e+302)
  assert(not ok and message:find("must be a component name"), message)
  assert(type(select) == "function" and type(pairs) == "function")
end
