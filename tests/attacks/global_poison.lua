-- attack: poisoned globals stay in this sandbox
-- expect: ok
-- then, in a fresh sandbox: print(string.format("%d", 7))
print = function() end tostring = nil pcall = error string.format = nil
