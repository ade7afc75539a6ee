-- attack: a custom _ENV holds nothing new
-- expect: runtime
local _ENV = {print = print} os.execute("echo ESCAPED")
