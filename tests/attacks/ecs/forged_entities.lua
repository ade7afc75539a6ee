-- attack: forged ids (other generations, resources' indices, out-of-range bits) never reach anything
-- expect: ok
-- limits: fuel=1e11
function on_update()
    for index = 0, 2000 do
        for generation = 1, 3 do
            local bits = index | (generation << 32)
            if ecs.exists(bits) then print("ESCAPED exists " .. bits) end
            if pcall(ecs.get, bits, "Position") then print("ESCAPED read " .. bits) end
            if pcall(ecs.insert, bits, "Position", {x = 666, y = 666}) then print("ESCAPED write " .. bits) end
        end
        -- Generation 0: real entities have Position or Velocity; anything
        -- else that "exists" would be a resource or another hidden entity.
        if ecs.exists(index) and not (ecs.has(index, "Position") or ecs.has(index, "Velocity")) then
            print("ESCAPED hidden entity " .. index)
        end
    end
    for _, bits in ipairs({-1, math.mininteger, math.maxinteger, 1 << 63}) do
        if ecs.exists(bits) or pcall(ecs.get, bits, "Position") then print("ESCAPED " .. bits) end
    end
end
