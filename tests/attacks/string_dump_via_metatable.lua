-- attack: the string metatable's __index is the trimmed string table
-- expect: ok
if getmetatable("").__index.dump then print("ESCAPED") end
