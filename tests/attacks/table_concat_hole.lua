-- attack: concat over a hole is an error
-- expect: runtime
table.concat({}, "", 1, 1e9)
