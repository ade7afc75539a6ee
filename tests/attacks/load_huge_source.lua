-- attack: a huge source hits the memory cap
-- expect: memory
-- limits: memory=16MiB
load(string.rep("a = 1 ", 1e7))
