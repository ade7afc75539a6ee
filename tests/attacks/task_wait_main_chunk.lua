-- attack: the main chunk is not a task and cannot wait
-- expect: runtime
task.wait(1)
