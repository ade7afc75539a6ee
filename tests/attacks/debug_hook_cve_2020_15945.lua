-- attack: CVE-2020-15945 needs hooks: unreachable
-- expect: runtime
debug.sethook(print, "l") local x = 1
