-- attack: a deeply nested component value is rejected
-- expect: runtime
function on_update()
    local v = {} local t = v
    for i = 1, 1e5 do t.x = {} t = t.x end
    ecs.insert(entity, "Position", v)
end
