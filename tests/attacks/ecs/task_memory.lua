-- attack: waiting tasks that each hold a large string fill only the script's own memory
-- expect: memory
-- limits: memory=16MiB fuel=1e10
function on_update()
  for i = 1, 900 do
    task.spawn(function() local hoard = string.rep("x", 100000) .. i task.wait(1) return hoard end)
  end
end
