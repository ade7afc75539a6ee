-- attack: loadfile removed
-- expect: runtime
loadfile("/etc/passwd")()
