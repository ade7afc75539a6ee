-- attack: CVE-2020-24370 path (negative getlocal index) is unreachable: no debug.getlocal
-- expect: runtime
print(debug.getlocal(1, -2147483647))
