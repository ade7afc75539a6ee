-- attack: format widths are bounded
-- expect: runtime
print(string.format("%099999999d", 1))
