-- attack: no integer representation is an error
-- expect: runtime
print(("%d"):format(2^63))
