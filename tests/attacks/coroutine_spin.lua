-- attack: a loop inside a coroutine runs out of fuel
-- expect: fuel
coroutine.wrap(function() while true do end end)()
