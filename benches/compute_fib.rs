//! fib(30), recursive, with the default limits (fuel and a timeout) on.
mod support;

fn main() {
    support::compute_row(
        "compute_fib",
        "compute: fib(30)",
        "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
         function bench() return fib(30) end",
        11,
        1.5,
    );
}
