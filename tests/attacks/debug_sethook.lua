-- attack: no hooks for scripts
-- expect: runtime
debug.sethook(function() end, "l")
