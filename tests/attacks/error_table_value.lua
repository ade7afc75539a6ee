-- attack: a table error value is reported
-- expect: runtime
error({code = 1})
