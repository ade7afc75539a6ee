-- attack: cancelling ids that name no task does nothing
-- expect: ok
for id = -10, 10000 do assert(task.cancel(id) == false) end
assert(task.cancel(math.maxinteger) == false and task.cancel(math.mininteger) == false)
