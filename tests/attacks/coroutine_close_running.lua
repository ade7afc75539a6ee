-- attack: closing the running coroutine is an error
-- expect: runtime
coroutine.close(coroutine.running())
