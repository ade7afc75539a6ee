-- attack: __tostring must return a string
-- expect: runtime
print(setmetatable({}, {__tostring = function() return {} end}))
