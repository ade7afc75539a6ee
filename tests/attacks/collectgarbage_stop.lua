-- attack: the collector cannot be stopped
-- expect: runtime
collectgarbage("stop")
