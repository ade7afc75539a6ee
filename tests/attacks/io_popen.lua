-- attack: no process spawning
-- expect: runtime
io.popen("echo ESCAPED")
