-- attack: writes before hitting the memory cap are rolled back
-- expect: memory
-- limits: fuel=1e11 memory=16MiB
function on_update() ecs.insert(entity, "Position", {x = 999, y = 999}) local t = {} for i = 1, 1e9 do t[i] = {i} end end
