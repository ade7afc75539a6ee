//! A coroutine resume/yield loop: each yield is a wasm exception in luabox.
mod support;

use support::{Row, Unit, call_native, call_sandbox, interleaved, native, sandbox, time};

fn main() {
    let source = "function bench()
        local producer = coroutine.wrap(function()
            local i = 0
            while true do i = i + 1 coroutine.yield(i) end
        end)
        local sum = 0
        for _ = 1, 100000 do sum = sum + producer() end
        return sum
    end";
    let engine = support::engine();
    let mut sandbox = sandbox(&engine, source);
    let lua = native(source);
    let (ours, theirs) = interleaved(
        11,
        || time(|| call_sandbox(&mut sandbox)),
        || time(|| call_native(&lua)),
    );
    Row::new(
        "compute_coroutines",
        "compute: 100k coroutine resume/yield",
        Unit::Ms,
        ours,
        theirs,
    )
    .ratio_target(2.0)
    .report();
}
