//! The ECS side of the benchmarks: two three-field components, a luabox world
//! and the same world reached natively through mlua callbacks.

use std::cell::RefCell;
use std::rc::Rc;

use bevy_ecs::prelude::*;
use luabox::ecs::{ComponentRegistry, Permissions, ScriptManager};
use mlua::{Lua, Table};
use serde::{Deserialize, Serialize};

#[derive(Component, Clone, Copy, Serialize, Deserialize)]
pub struct Position {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

#[derive(Component, Clone, Copy, Serialize, Deserialize)]
pub struct Velocity {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

pub const ORIGIN: Position = Position {
    x: 0.0,
    y: 0.0,
    z: 0.0,
};

pub const VELOCITY: Velocity = Velocity {
    x: 1.0,
    y: 2.0,
    z: 3.0,
};

/// A world with the two components registered and a script manager.
pub fn luabox_world() -> World {
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Position>("Position")
        .register::<Velocity>("Velocity");
    world.insert_resource(registry);
    world.insert_resource(ScriptManager::new(super::engine()));
    world
}

/// [`luabox_world`] with `count` entities at the origin, each driven by its
/// own sandbox running `source`.
pub fn scripted_world(source: &str, count: usize) -> World {
    let mut world = luabox_world();
    for _ in 0..count {
        let entity = world.spawn(ORIGIN).id();
        let config = luabox::ScriptConfig::default();
        let attached = luabox::ecs::ScriptRunner::attach(
            &mut world,
            entity,
            "bench.lua",
            source,
            config,
            permissions(),
        );
        if let Err(error) = attached {
            panic!("attach: {error}");
        }
    }
    world
}

/// `count` native Lua states, each having run `source`, with the global
/// `name` (a function or a coroutine) it defined.
pub fn native_states<T: mlua::FromLua>(source: &str, name: &str, count: usize) -> Vec<(Lua, T)> {
    (0..count)
        .map(|_| {
            let lua = Lua::new();
            let global = lua
                .load(source)
                .exec()
                .and_then(|()| lua.globals().get::<T>(name))
                .unwrap_or_else(|error| panic!("native setup: {error}"));
            (lua, global)
        })
        .collect()
}

/// Reads both components, writes `Position`.
pub fn permissions() -> Permissions {
    Permissions::default()
        .read(["Position", "Velocity"])
        .write(["Position"])
}

/// Gives `lua` the global `entity` and an `ecs` table with `get` and
/// `insert`, natively reaching into `world`: what an engine embedding mlua
/// directly would write.
pub fn native_ecs(lua: &Lua, world: &Rc<RefCell<World>>, entity: Entity) -> mlua::Result<()> {
    let ecs = lua.create_table()?;
    let reader = Rc::clone(world);
    ecs.set(
        "get",
        lua.create_function(move |lua, (bits, name): (u64, mlua::LuaString)| {
            let world = reader.borrow();
            let entity = Entity::try_from_bits(bits)
                .ok_or_else(|| mlua::Error::runtime("no such entity"))?;
            let (x, y, z) = match &*name.as_bytes() {
                b"Position" => world.get::<Position>(entity).map(|p| (p.x, p.y, p.z)),
                b"Velocity" => world.get::<Velocity>(entity).map(|v| (v.x, v.y, v.z)),
                _ => return Err(mlua::Error::runtime("unknown component")),
            }
            .ok_or_else(|| mlua::Error::runtime("no such component"))?;
            let table = lua.create_table_with_capacity(0, 3)?;
            table.raw_set("x", x)?;
            table.raw_set("y", y)?;
            table.raw_set("z", z)?;
            Ok(table)
        })?,
    )?;
    let writer = Rc::clone(world);
    ecs.set(
        "insert",
        lua.create_function(
            move |_, (bits, name, value): (u64, mlua::LuaString, Table)| {
                let entity = Entity::try_from_bits(bits)
                    .ok_or_else(|| mlua::Error::runtime("no such entity"))?;
                let (x, y, z) = (value.get("x")?, value.get("y")?, value.get("z")?);
                let mut world = writer.borrow_mut();
                let mut target = world
                    .get_entity_mut(entity)
                    .map_err(|_| mlua::Error::runtime("no such entity"))?;
                match &*name.as_bytes() {
                    b"Position" => target.insert(Position { x, y, z }),
                    b"Velocity" => target.insert(Velocity { x, y, z }),
                    _ => return Err(mlua::Error::runtime("unknown component")),
                };
                Ok(())
            },
        )?,
    )?;
    lua.globals().set("ecs", ecs)?;
    lua.globals().set("entity", entity.to_bits())
}

/// Adds `ecs.each("Position", "Velocity")` to the `ecs` table of `lua`: a
/// native query over `world` (collected when the loop starts), yielding the
/// entity and a table per component, as luabox's `ecs.each` does.
pub fn native_each(lua: &Lua, world: &Rc<RefCell<World>>) -> mlua::Result<()> {
    let reader = Rc::clone(world);
    let each = lua.create_function(move |lua, (_a, _b): (mlua::LuaString, mlua::LuaString)| {
        let rows: Vec<(Entity, Position, Velocity)> = {
            let mut world = reader.borrow_mut();
            let mut query = world.query::<(Entity, &Position, &Velocity)>();
            query.iter(&world).map(|(e, p, v)| (e, *p, *v)).collect()
        };
        let mut rows = rows.into_iter();
        lua.create_function_mut(move |lua, ()| match rows.next() {
            Some((entity, p, v)) => {
                let position = lua.create_table_with_capacity(0, 3)?;
                position.raw_set("x", p.x)?;
                position.raw_set("y", p.y)?;
                position.raw_set("z", p.z)?;
                let velocity = lua.create_table_with_capacity(0, 3)?;
                velocity.raw_set("x", v.x)?;
                velocity.raw_set("y", v.y)?;
                velocity.raw_set("z", v.z)?;
                Ok((Some(entity.to_bits()), Some(position), Some(velocity)))
            }
            None => Ok((None, None, None)),
        })
    })?;
    lua.globals().get::<Table>("ecs")?.set("each", each)
}
