-- attack: replacing the ecs table changes only this script
-- expect: ok
ecs = nil function on_update() if ecs ~= nil then print("ESCAPED") end end
