-- attack: a huge table constructor hits the memory cap
-- expect: memory
-- limits: memory=16MiB
assert(load("return {" .. string.rep("1,", 5e6) .. "}"))()
