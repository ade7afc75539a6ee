-- attack: os is never opened
-- expect: runtime
os.execute("echo ESCAPED")
