-- attack: CVE-2021-43519 shape: recursion through coroutine resumes
-- expect: stack
local function loop() local co = coroutine.wrap(function() loop() end) co() end loop()
