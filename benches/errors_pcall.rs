//! `pcall(error, x)` in a loop: Lua errors are wasm exceptions in luabox.
mod support;

use support::{Row, Unit, call_native, call_sandbox, interleaved, native, sandbox, time};

fn main() {
    let source = "function bench()
        local caught = 0
        for i = 1, 100000 do
            if not pcall(error, i) then caught = caught + 1 end
        end
        return caught
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
        "errors_pcall",
        "errors: 100k pcall(error, i)",
        Unit::Ms,
        ours,
        theirs,
    )
    .ratio_target(3.0)
    .report();
}
