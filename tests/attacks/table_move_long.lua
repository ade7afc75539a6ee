-- attack: a long table.move runs out of fuel
-- expect: fuel
table.move({}, 1, 1e12, 2, {})
