//! What fuel metering costs: fib(30) with fuel on (the default) against an
//! engine built without it (a timeout still bounds it).
mod support;

use luabox::EngineConfig;
use support::{Row, Unit, call_sandbox, interleaved, sandbox, time};

fn main() {
    let source =
        "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
                  function bench() return fib(30) end";
    let metered = support::engine();
    let unmetered = support::engine_with(EngineConfig::default().with_consume_fuel(false));
    let mut with_fuel = sandbox(&metered, source);
    let mut without_fuel = sandbox(&unmetered, source);
    let (on, off) = interleaved(
        11,
        || time(|| call_sandbox(&mut with_fuel)),
        || time(|| call_sandbox(&mut without_fuel)),
    );
    Row::new(
        "fuel_overhead",
        "fuel: fib(30), fuel on vs off",
        Unit::Ms,
        on,
        off,
    )
    .baseline("luabox, fuel off")
    .ratio_target(1.1)
    .report();
}
