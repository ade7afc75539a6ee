local s = "häll€ 𝄞"
print(#s, utf8.len(s))
for p, c in utf8.codes(s) do print(p, c) end
print(utf8.char(72, 228, 8364, 119070))
print(utf8.codepoint(s, 1, -1))
print(utf8.offset(s, 3), utf8.offset(s, -1))
print(utf8.len("\xff"), utf8.len(s, 3))
print(pcall(utf8.codepoint, "\xff"))
print(utf8.charpattern)
print(("€"):byte(1, -1))
