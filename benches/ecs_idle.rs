//! One tick of 1,000 scripts whose `on_update` does nothing: what a call into
//! a sandbox costs by itself. Natively, 1,000 mlua states called the same way.
mod support;

use luabox::ecs::ScriptRunner;
use support::world::{native_states, scripted_world};
use support::{Row, Unit, interleaved, time};

const SCRIPTS: usize = 1_000;
const DT: f64 = 1.0 / 60.0;
const IDLE: &str = "function on_update(dt) end";

fn main() {
    let mut world = scripted_world(IDLE, SCRIPTS);
    let scripts = native_states::<mlua::Function>(IDLE, "on_update", SCRIPTS);

    let (ours, theirs) = interleaved(
        21,
        || time(|| ScriptRunner::tick(&mut world, DT)),
        || {
            time(|| {
                for (_, on_update) in &scripts {
                    if let Err(error) = on_update.call::<()>(DT) {
                        panic!("native on_update: {error}");
                    }
                }
            })
        },
    );
    Row::new(
        "ecs_idle",
        "idle: 1,000 scripts with an empty on_update (one tick)",
        Unit::Ms,
        ours,
        theirs,
    )
    .value_target(1.0)
    .report();
}
