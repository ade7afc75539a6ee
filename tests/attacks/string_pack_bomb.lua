-- attack: string.pack padding hits the memory cap
-- expect: memory
-- limits: fuel=1e12 memory=16MiB
local s = string.pack("c2000000000", "") print("ESCAPED", #s)
