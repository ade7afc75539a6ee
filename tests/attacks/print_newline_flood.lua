-- attack: one print of 20,000 newlines, to become 20,000 report lines
-- expect: output
-- message: 10000 lines in one call
print(string.rep("\n", 20000))
