-- attack: an erroring finalizer becomes a (discarded) warning
-- expect: ok
setmetatable({}, {__gc = function() error("in gc") end}) collectgarbage() collectgarbage()
