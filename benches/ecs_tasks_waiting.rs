//! One tick of 1,000 scripts with an empty `on_update`, each also holding a
//! task that waits far in the future, against the same 1,000 scripts
//! without tasks: what waiting tasks cost a tick (the guest tells the host
//! when its earliest task is due, so a script whose time has not come is
//! not called for it). Target: at most 0.3 ms more a tick.
mod support;

use luabox::ecs::ScriptRunner;
use support::world::scripted_world;
use support::{Row, Unit, interleaved, time};

const SCRIPTS: usize = 1_000;
const DT: f64 = 1.0 / 60.0;
const IDLE: &str = "function on_update(dt) end";
const WAITING: &str = "function on_update(dt) end
    task.spawn(function() task.wait(1e9) end)";
/// What 1,000 waiting scripts may add to a tick, in milliseconds.
const TARGET_EXTRA_MS: f64 = 0.3;

fn main() {
    let mut waiting = scripted_world(WAITING, SCRIPTS);
    let mut idle = scripted_world(IDLE, SCRIPTS);
    // A tick each first, so both are past their sandboxes' first calls.
    ScriptRunner::tick(&mut waiting, DT);
    ScriptRunner::tick(&mut idle, DT);
    let (ours, theirs) = interleaved(
        21,
        || time(|| ScriptRunner::tick(&mut waiting, DT)),
        || time(|| ScriptRunner::tick(&mut idle, DT)),
    );
    let baseline_ms = theirs.as_secs_f64() * 1e3;
    Row::new(
        "ecs_tasks_waiting",
        "tasks: 1,000 idle scripts, each with a waiting task (target +0.3 ms)",
        Unit::Ms,
        ours,
        theirs,
    )
    .baseline("luabox, no tasks")
    .ratio_target((baseline_ms + TARGET_EXTRA_MS) / baseline_ms)
    .report();
}
