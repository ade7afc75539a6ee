//! One frame: 1,000 entities, each with its own script whose `on_update`
//! reads two components and writes one; natively, 1,000 mlua states calling
//! into a bevy World.
mod support;

use std::cell::RefCell;
use std::rc::Rc;

use bevy_ecs::world::World;
use luabox::ScriptConfig;
use luabox::ecs::ScriptRunner;
use support::world::{ORIGIN, VELOCITY, luabox_world, native_ecs, permissions};
use support::{Row, Unit, interleaved, time};

const ENTITIES: usize = 1_000;
const DT: f64 = 1.0 / 60.0;

fn main() {
    let mover = "function on_update(dt)
        local p = ecs.get(entity, 'Position')
        local v = ecs.get(entity, 'Velocity')
        ecs.insert(entity, 'Position', {x = p.x + v.x * dt, y = p.y + v.y * dt, z = p.z + v.z * dt})
    end";
    let mut world = luabox_world();
    for _ in 0..ENTITIES {
        let entity = world.spawn((ORIGIN, VELOCITY)).id();
        let attached = ScriptRunner::attach(
            &mut world,
            entity,
            "mover.lua",
            mover,
            ScriptConfig::default(),
            permissions(),
        );
        if let Err(error) = attached {
            panic!("attach: {error}");
        }
    }

    let native_world = Rc::new(RefCell::new(World::new()));
    let mut scripts = Vec::with_capacity(ENTITIES);
    for _ in 0..ENTITIES {
        let entity = native_world.borrow_mut().spawn((ORIGIN, VELOCITY)).id();
        let lua = mlua::Lua::new();
        let on_update = native_ecs(&lua, &native_world, entity)
            .and_then(|()| lua.load(mover).exec())
            .and_then(|()| lua.globals().get::<mlua::Function>("on_update"))
            .unwrap_or_else(|error| panic!("native setup: {error}"));
        scripts.push((lua, on_update));
    }

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
    let moved = world
        .query::<&support::world::Position>()
        .iter(&world)
        .filter(|p| p.x > 0.0)
        .count();
    assert_eq!(moved, ENTITIES, "every script moves its entity");
    Row::new(
        "ecs_frame",
        "frame: 1,000 scripted entities (one tick)",
        Unit::Ms,
        ours,
        theirs,
    )
    .ratio_target(1.5)
    .report();
}
