-- Never ends on its own: the fuel budget ends it.
local n = 0
while true do
  n = n + 1
end
