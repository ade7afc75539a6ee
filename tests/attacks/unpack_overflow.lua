-- attack: unpack range overflow is refused
-- expect: runtime
print(table.unpack({}, math.mininteger, math.maxinteger))
