-- attack: nested coroutine resumes hit the C stack limit
-- expect: stack
local function nest() return coroutine.wrap(nest)() end nest()
