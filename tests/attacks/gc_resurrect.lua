-- attack: resurrecting finalizers are harmless
-- expect: ok
local saved for i = 1, 100 do setmetatable({}, {__gc = function(o) saved = o end}) end collectgarbage() collectgarbage() if saved == nil then print("no resurrection") end
