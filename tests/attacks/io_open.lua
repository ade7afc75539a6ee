-- attack: io is never opened
-- expect: runtime
print(io.open("/etc/passwd"):read("a"))
