-- Tries to run a shell command. There is no `os` in the sandbox.
print("trying os.execute ...")
os.execute("echo pwned > /tmp/pwned")
print("unreachable")
