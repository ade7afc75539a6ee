-- attack: invalid UTF-8 is an error
-- expect: runtime
print(utf8.codepoint("\xff"))
