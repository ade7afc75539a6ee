-- attack: a nil error is reported
-- expect: runtime
error()
