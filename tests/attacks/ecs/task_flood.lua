-- attack: a flood of waiting tasks stops at the cap on live tasks
-- expect: runtime
-- message: too many tasks
function on_update() while true do task.spawn(function() task.wait(1) end) end end
