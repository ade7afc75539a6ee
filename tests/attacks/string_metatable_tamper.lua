-- attack: tampering with the string metatable stays in this sandbox
-- expect: ok
-- then, in a fresh sandbox: print(("x"):upper())
getmetatable("").__index = function() return function() return "ESCAPED" end end
