//! Rough ECS timings until `make bench` exists: the cost of one `ecs.get` +
//! `ecs.insert` round trip from Lua, and one tick of 1,000 scripted entities.
//!
//! `cargo run --release --example measure_ecs`

use std::time::Instant;

use bevy_ecs::prelude::*;
use luabox::{
    ComponentRegistry, Limits, Permissions, ScriptConfig, ScriptEngine, ScriptManager, ScriptSystem,
};
use serde::{Deserialize, Serialize};

#[derive(Component, Serialize, Deserialize)]
struct Position {
    x: f64,
    y: f64,
    z: f64,
}

#[derive(Component, Serialize, Deserialize)]
struct Velocity {
    x: f64,
    y: f64,
    z: f64,
}

fn new_world() -> anyhow::Result<World> {
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Position>("Position")
        .register::<Velocity>("Velocity");
    world.insert_resource(registry);
    world.insert_resource(ScriptManager::new(ScriptEngine::new(Default::default())?));
    Ok(world)
}

fn permissions() -> Permissions {
    Permissions::default()
        .read(["Position", "Velocity"])
        .write(["Position"])
}

fn main() -> anyhow::Result<()> {
    const ROUND_TRIPS: u32 = 10_000;
    let mut world = new_world()?;
    let entity = world
        .spawn(Position {
            x: 0.0,
            y: 0.0,
            z: 0.0,
        })
        .id();
    let source = format!(
        "function on_update() for i = 1, {ROUND_TRIPS} do
             local p = ecs.get(entity, 'Position')
             ecs.insert(entity, 'Position', {{x = p.x + 1, y = p.y, z = p.z}})
         end end"
    );
    let config = ScriptConfig {
        limits: Limits::default().with_fuel(u64::MAX / 4),
        ..ScriptConfig::default()
    };
    ScriptSystem::attach(
        &mut world,
        entity,
        "roundtrip.lua",
        source,
        config,
        permissions(),
    )?;
    ScriptSystem::tick(&mut world, 0.0);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        ScriptSystem::tick(&mut world, 0.0);
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "ecs.get + ecs.insert round trip: {:.0} ns (best of 5 ticks of {ROUND_TRIPS}, commit included)",
        best * 1e9 / f64::from(ROUND_TRIPS)
    );

    let mut world = new_world()?;
    let mover = "function on_update(dt)
        local p = ecs.get(entity, 'Position')
        local v = ecs.get(entity, 'Velocity')
        ecs.insert(entity, 'Position', {x = p.x + v.x * dt, y = p.y + v.y * dt, z = p.z + v.z * dt})
    end";
    for _ in 0..1_000 {
        let entity = world
            .spawn((
                Position {
                    x: 0.0,
                    y: 0.0,
                    z: 0.0,
                },
                Velocity {
                    x: 1.0,
                    y: 2.0,
                    z: 3.0,
                },
            ))
            .id();
        ScriptSystem::attach(
            &mut world,
            entity,
            "mover.lua",
            mover,
            ScriptConfig::default(),
            permissions(),
        )?;
    }
    ScriptSystem::tick(&mut world, 1.0 / 60.0);
    let mut times = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        ScriptSystem::tick(&mut world, 1.0 / 60.0);
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let busy = times[times.len() / 2];

    let mut world = new_world()?;
    for _ in 0..1_000 {
        let entity = world.spawn_empty().id();
        ScriptSystem::attach(
            &mut world,
            entity,
            "idle.lua",
            "function on_update(dt) end",
            ScriptConfig::default(),
            Permissions::default(),
        )?;
    }
    ScriptSystem::tick(&mut world, 1.0 / 60.0);
    let mut idle = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        ScriptSystem::tick(&mut world, 1.0 / 60.0);
        idle.push(started.elapsed().as_secs_f64() * 1e3);
    }
    idle.sort_by(f64::total_cmp);
    println!(
        "tick of 1,000 scripts with an empty on_update: median {:.2} ms",
        idle[idle.len() / 2]
    );
    times = vec![busy];
    println!(
        "tick of 1,000 scripted entities (2 reads + 1 write each): median {:.2} ms",
        times[times.len() / 2]
    );
    Ok(())
}
