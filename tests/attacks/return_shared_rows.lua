-- attack: a result cheap in Lua (shared rows) but 8 MB as JSON, to make the host parse it
-- expect: output
-- limits: fuel=5e9 memory=64MiB
-- message: output_bytes
local row = {}
for i = 1, 1000 do row[i] = i end
local t = {}
for i = 1, 2000 do t[i] = row end
return t
