-- attack: table.move refuses ranges that overflow
-- expect: runtime
table.move({}, 1, math.maxinteger, 2)
