-- attack: lax utf8 handles the largest code points
-- expect: ok
local n = utf8.len(string.rep("\u{7FFFFFFF}", 1000), 1, -1, true) if n ~= 1000 then print("ESCAPED", n) end
