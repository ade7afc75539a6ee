-- attack: os cannot be named indirectly
-- expect: runtime
_G["o" .. "s"].execute("echo ESCAPED")
