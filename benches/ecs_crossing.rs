//! One `ecs.get` + `ecs.insert` of a three-field component from Lua, against
//! the same through mlua callbacks into a bevy World.
mod support;

use std::cell::RefCell;
use std::rc::Rc;

use bevy_ecs::world::World;
use luabox::ecs::ScriptRunner;
use luabox::{Limits, ScriptConfig};
use support::world::{ORIGIN, luabox_world, native_ecs, permissions};
use support::{Row, Unit, interleaved, time};

const ROUND_TRIPS: u32 = 10_000;

fn main() {
    let source = format!(
        "function on_update()
             for i = 1, {ROUND_TRIPS} do
                 local p = ecs.get(entity, 'Position')
                 ecs.insert(entity, 'Position', {{x = p.x + 1, y = p.y, z = p.z}})
             end
         end"
    );
    let mut world = luabox_world();
    let entity = world.spawn(ORIGIN).id();
    let config = ScriptConfig::default().with_limits(Limits::default().with_fuel(u64::MAX / 4));
    let attached = ScriptRunner::attach(
        &mut world,
        entity,
        "crossing.lua",
        source.as_str(),
        config,
        permissions(),
    );
    if let Err(error) = attached {
        panic!("attach: {error}");
    }

    let native_world = Rc::new(RefCell::new(World::new()));
    let native_entity = native_world.borrow_mut().spawn(ORIGIN).id();
    let lua = mlua::Lua::new();
    let set_up = native_ecs(&lua, &native_world, native_entity)
        .and_then(|()| lua.load(&source).exec())
        .and_then(|()| lua.globals().get::<mlua::Function>("on_update"));
    let on_update = set_up.unwrap_or_else(|error| panic!("native setup: {error}"));

    let (ours, theirs) = interleaved(
        11,
        || time(|| ScriptRunner::tick(&mut world, 0.0)),
        || {
            time(|| {
                if let Err(error) = on_update.call::<()>(()) {
                    panic!("native on_update: {error}");
                }
            })
        },
    );
    let x = world
        .get::<support::world::Position>(entity)
        .map_or(0.0, |p| p.x);
    assert!(x > 0.0, "the script never moved the entity");
    let per_trip = |total: std::time::Duration| total.as_secs_f64() * 1e9 / f64::from(ROUND_TRIPS);
    Row::values(
        "ecs_crossing",
        "crossing: ecs.get + ecs.insert (per round trip)",
        Unit::Ns,
        per_trip(ours),
        per_trip(theirs),
    )
    .ratio_target(1.5)
    .value_target(1000.0)
    .report();
}
