-- attack: catastrophic backtracking runs out of fuel
-- expect: fuel
string.find(string.rep("a", 5000), string.rep(".-", 10) .. "b")
