-- attack: with fuel to spare, the timeout stops a loop
-- expect: timeout
-- limits: fuel=1e15 timeout=100ms
while true do end
