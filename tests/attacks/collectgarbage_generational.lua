-- attack: collector tuning is refused
-- expect: runtime
collectgarbage("generational")
