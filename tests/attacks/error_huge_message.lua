-- attack: an 8 MiB error message, to be kept whole by the host
-- expect: runtime
-- limits: fuel=5e9
-- message: bytes cut)
error(string.rep("e", 8 * 1024 * 1024), 0)
