//! One tick of 1,000 scripts whose `on_update` does nothing: what a call into
//! a sandbox costs by itself. Natively, 1,000 mlua states called the same way.
mod support;

use luabox::ScriptConfig;
use luabox::ecs::ScriptRunner;
use support::world::{ORIGIN, luabox_world, permissions};
use support::{Row, Unit, interleaved, time};

const SCRIPTS: usize = 1_000;
const DT: f64 = 1.0 / 60.0;
const IDLE: &str = "function on_update(dt) end";

fn main() {
    let mut world = luabox_world();
    for _ in 0..SCRIPTS {
        let entity = world.spawn(ORIGIN).id();
        let attached = ScriptRunner::attach(
            &mut world,
            entity,
            "idle.lua",
            IDLE,
            ScriptConfig::default(),
            permissions(),
        );
        if let Err(error) = attached {
            panic!("attach: {error}");
        }
    }
    let scripts: Vec<(mlua::Lua, mlua::Function)> = (0..SCRIPTS)
        .map(|_| {
            let lua = mlua::Lua::new();
            let on_update = lua
                .load(IDLE)
                .exec()
                .and_then(|()| lua.globals().get::<mlua::Function>("on_update"))
                .unwrap_or_else(|error| panic!("native setup: {error}"));
            (lua, on_update)
        })
        .collect();

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
