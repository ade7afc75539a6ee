-- attack: strings' metatable cannot be set from Lua
-- expect: runtime
setmetatable("", {})
