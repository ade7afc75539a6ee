-- Every function luabox adds (ecs, task, log, print) called with 0 to 2,000
-- arguments of every kind, from the main chunk, on_start, on_update,
-- on_event, a task and a fresh coroutine. Run by
-- tests/all/attacks.rs (every_api_function_takes_any_arguments_in_every_context):
-- each context must finish; any trap fails the test.
local functions = {
  {"ecs.spawn", ecs.spawn}, {"ecs.despawn", ecs.despawn}, {"ecs.exists", ecs.exists},
  {"ecs.get", ecs.get}, {"ecs.insert", ecs.insert}, {"ecs.remove", ecs.remove},
  {"ecs.has", ecs.has}, {"ecs.query", ecs.query}, {"ecs.each", ecs.each},
  {"ecs.emit", ecs.emit}, {"task.wait", task.wait}, {"task.spawn", task.spawn},
  {"task.delay", task.delay}, {"task.cancel", task.cancel},
  {"log.info", log.info}, {"log.warn", log.warn}, {"log.error", log.error},
  {"print", print},
}
local kinds = {
  function() return nil end,
  function() return true end,
  function() return 1 end,
  function() return 1.5574937426843845e+302 end,
  function() return "Position" end,
  function() return {x = 1, y = 2} end,
  function() return function() end end,
  function() return coroutine.create(function() end) end,
}
local counts = {0, 1, 2, 3, 19, 20, 21, 40, 45, 64, 65, 200, 2000}

-- Calls every function with every count of every kind; `can_wait`: whether
-- task.wait may run (it would suspend a task or a callback).
local function sweep(context, can_wait)
  local calls = 0
  for _, entry in ipairs(functions) do
    local name, f = entry[1], entry[2]
    if name ~= "task.wait" or can_wait then
      for _, make in ipairs(kinds) do
        local value = make()
        for _, count in ipairs(counts) do
          local args = {}
          for i = 1, count do args[i] = value end
          pcall(f, table.unpack(args, 1, count))
          calls = calls + 1
        end
      end
    end
  end
  -- Nothing around the stacks was overwritten.
  assert(type(select) == "function" and type(pcall) == "function" and type(ecs.get) == "function")
  done[#done + 1] = context .. " " .. calls
end

done = {}
sweep("main chunk", true)
coroutine.wrap(function() sweep("coroutine in the main chunk", true) end)()

function on_start()
  sweep("on_start", false)
  task.spawn(function() sweep("task", false) end)
  coroutine.wrap(function() sweep("coroutine in on_start", true) end)()
end

function on_update()
  sweep("on_update", false)
  ecs.insert(entity, "Report", done)
end

-- The sweep emits events; one of them is enough to sweep from.
local swept_an_event = false
function on_event()
  if not swept_an_event then
    swept_an_event = true
    sweep("on_event", false)
  end
end
