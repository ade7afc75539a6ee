-- attack: a wait inside a C function (a sort comparator) is refused
-- expect: runtime
-- message: cannot wait inside a function called from C
function on_update() table.sort({3, 2, 1}, function(a, b) task.wait() return a < b end) end
