-- attack: rawset on the string metatable stays in this sandbox
-- expect: ok
-- then, in a fresh sandbox: print(("y"):upper())
rawset(getmetatable(""), "__index", {upper = function() return "ESCAPED" end})
