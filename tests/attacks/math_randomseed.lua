-- attack: reseeding is harmless
-- expect: ok
math.randomseed() local x = math.random() if type(x) ~= "number" then print("ESCAPED") end
