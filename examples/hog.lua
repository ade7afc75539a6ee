-- Doubles a string until the memory cap says no.
local s = "x"
while true do s = s .. s end
