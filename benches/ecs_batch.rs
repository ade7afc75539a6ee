//! One script moving 10,000 entities with `ecs.each`, against mlua doing the
//! same through a native query over a bevy World.
mod support;

use std::cell::RefCell;
use std::rc::Rc;

use bevy_ecs::world::World;
use luabox::ecs::ScriptRunner;
use luabox::{Limits, ScriptConfig};
use support::world::{ORIGIN, VELOCITY, luabox_world, native_each, native_ecs, permissions};
use support::{Row, Unit, interleaved, time};

const ENTITIES: usize = 10_000;
const DT: f64 = 1.0 / 60.0;
const MOVER: &str = "function on_update(dt)
    for e, p, v in ecs.each('Position', 'Velocity') do
        ecs.insert(e, 'Position', {x = p.x + v.x * dt, y = p.y + v.y * dt, z = p.z + v.z * dt})
    end
end";

fn main() {
    let mut world = luabox_world();
    for _ in 0..ENTITIES {
        world.spawn((ORIGIN, VELOCITY));
    }
    let own = world.spawn_empty().id();
    let config = ScriptConfig::default().with_limits(Limits::default().with_fuel(u64::MAX / 4));
    let attached = ScriptRunner::attach(&mut world, own, "batch.lua", MOVER, config, permissions());
    if let Err(error) = attached {
        panic!("attach: {error}");
    }

    let native_world = Rc::new(RefCell::new(World::new()));
    let own = {
        let mut native = native_world.borrow_mut();
        for _ in 0..ENTITIES {
            native.spawn((ORIGIN, VELOCITY));
        }
        native.spawn_empty().id()
    };
    let lua = mlua::Lua::new();
    let on_update = native_ecs(&lua, &native_world, own)
        .and_then(|()| native_each(&lua, &native_world))
        .and_then(|()| lua.load(MOVER).exec())
        .and_then(|()| lua.globals().get::<mlua::Function>("on_update"))
        .unwrap_or_else(|error| panic!("native setup: {error}"));

    let (ours, theirs) = interleaved(
        11,
        || time(|| ScriptRunner::tick(&mut world, DT)),
        || {
            time(|| {
                if let Err(error) = on_update.call::<()>(DT) {
                    panic!("native on_update: {error}");
                }
            })
        },
    );
    let moved = world
        .query::<&support::world::Position>()
        .iter(&world)
        .filter(|p| p.x > 0.0)
        .count();
    assert_eq!(moved, ENTITIES, "the script moves every entity");
    Row::new(
        "ecs_batch",
        "batch: one script moves 10,000 entities (ecs.each)",
        Unit::Ms,
        ours,
        theirs,
    )
    .ratio_target(1.5)
    .value_target(10.0)
    .report();
}
