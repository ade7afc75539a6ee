//! One tick of 1,000 scripts, each resuming one task that waits a tick at a
//! time (`while true do task.wait() end`): a wasm call and a coroutine
//! resume and yield per script. Natively, 1,000 mlua states each resuming a
//! coroutine that yields.
mod support;

use luabox::ecs::ScriptRunner;
use support::world::{native_states, scripted_world};
use support::{Row, Unit, interleaved, time};

const SCRIPTS: usize = 1_000;
const DT: f64 = 1.0 / 60.0;
const TICKING: &str = "task.spawn(function() while true do task.wait() end end)";
const NATIVE: &str =
    "ticker = coroutine.create(function() while true do coroutine.yield() end end)";

fn main() {
    let mut world = scripted_world(TICKING, SCRIPTS);
    ScriptRunner::tick(&mut world, DT);
    let tickers = native_states::<mlua::Thread>(NATIVE, "ticker", SCRIPTS);

    let (ours, theirs) = interleaved(
        21,
        || time(|| ScriptRunner::tick(&mut world, DT)),
        || {
            time(|| {
                for (_, ticker) in &tickers {
                    if let Err(error) = ticker.resume::<()>(()) {
                        panic!("native resume: {error}");
                    }
                }
            })
        },
    );
    Row::new(
        "ecs_tasks_due",
        "tasks: 1,000 scripts resuming one task each (one tick)",
        Unit::Ms,
        ours,
        theirs,
    )
    .report();
}
