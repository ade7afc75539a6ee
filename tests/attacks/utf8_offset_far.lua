-- attack: utf8.offset beyond the end is nil
-- expect: ok
if utf8.offset("abc", 1e9) ~= nil then print("ESCAPED") end
