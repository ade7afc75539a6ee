-- attack: select out of range is an error
-- expect: runtime
print(select(-1e9, 1))
