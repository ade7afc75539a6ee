-- attack: one 1 MiB value written 1,000 times in one call (1 GiB of buffered writes)
-- expect: runtime
-- limits: fuel=5e9
-- message: too many writes in one call
local big = string.rep("w", 1024 * 1024)
function on_update() for i = 1, 1000 do ecs.insert(entity, "Position", {x = 1, y = 2, pad = big}) end end
