-- attack: pattern matching recursion is bounded
-- expect: runtime
string.match(string.rep("a", 1e6), string.rep("a?", 1e5) .. string.rep("a", 1e5))
