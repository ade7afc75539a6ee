-- A well-behaved script: prints, computes, returns a value.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

print("hello from Lua " .. _VERSION:sub(5))
print("fib(20) = " .. fib(20))
return {answer = 42, primes = {2, 3, 5, 7}}
