-- attack: CVE-2022-28805 shape: a <const> _ENV is compiled correctly
-- expect: runtime
local _ENV <const> = 42 return x
