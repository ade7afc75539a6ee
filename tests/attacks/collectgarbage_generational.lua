-- attack: switch the collector to generational mode and churn garbage
-- expect: ok
-- then, in a fresh sandbox: assert(collectgarbage("incremental") == "incremental")
assert(collectgarbage("generational") == "incremental")
for i = 1, 10000 do local t = {i, tostring(i)} end
assert(collectgarbage("isrunning"))
