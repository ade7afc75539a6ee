-- attack: pattern captures are bounded
-- expect: runtime
string.find(string.rep("a", 1e5), string.rep("(a)", 40))
