-- attack: unpacking a huge range is refused
-- expect: runtime
print(table.unpack({}, 1, 1e8))
