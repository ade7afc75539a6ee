-- attack: malformed patterns are errors
-- expect: runtime
string.find("abc", "[a")
