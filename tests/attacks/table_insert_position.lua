-- attack: insert position out of bounds
-- expect: runtime
table.insert({}, 1e18, 1)
