-- attack: dofile removed
-- expect: runtime
dofile("/etc/passwd")
