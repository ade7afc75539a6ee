//! `LuaboxPlugin` in a headless bevy `App` (feature `bevy`): the resources
//! it inserts, scripts ticked in `Update` with `dt` from bevy's `Time`.

use std::time::Duration;

use bevy_app::{App, TaskPoolPlugin};
use bevy_ecs::prelude::*;
use bevy_time::{TimePlugin, TimeUpdateStrategy};
use luabox::ecs::{
    ComponentRegistry, LuaboxPlugin, Permissions, ScriptClock, ScriptConsole, ScriptManager,
    ScriptRunner,
};
use luabox::{CacheDir, EngineConfig, ScriptEngine};
use serde::{Deserialize, Serialize};

#[derive(Component, Serialize, Deserialize, Debug, PartialEq)]
struct Position {
    x: f64,
    y: f64,
}

#[derive(Component, Serialize, Deserialize, Debug, PartialEq)]
struct Velocity {
    x: f64,
    y: f64,
}

#[test]
fn scripts_move_entities_frame_by_frame_with_bevys_time() {
    let engine = ScriptEngine::new(
        EngineConfig::default()
            .with_cache(CacheDir::At(
                std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("luabox-cache"),
            ))
            .with_allocation(luabox::SandboxAllocation::Pool { max_sandboxes: 8 }),
    )
    .expect("engine");
    let mut app = App::new();
    app.add_plugins((
        TaskPoolPlugin::default(),
        TimePlugin,
        LuaboxPlugin::new(engine)
            .register::<Position>("Position")
            .register::<Velocity>("Velocity"),
    ))
    .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
        250,
    )));
    assert!(app.world().contains_resource::<ScriptManager>());
    assert!(app.world().contains_resource::<ScriptConsole>());
    assert!(app.world().contains_resource::<ScriptClock>());
    assert_eq!(
        app.world().resource::<ComponentRegistry>().names(),
        ["Position", "Velocity"]
    );

    let mover = "function on_update(dt)
        local p, v = ecs.get(entity, 'Position'), ecs.get(entity, 'Velocity')
        ecs.insert(entity, 'Position', {x = p.x + v.x * dt, y = p.y + v.y * dt})
        print(dt)
    end";
    let permissions = Permissions::default()
        .read(["Position", "Velocity"])
        .write(["Position"]);
    let movers: Vec<Entity> = [1.0, 2.0]
        .into_iter()
        .map(|speed| {
            let world = app.world_mut();
            let entity = world
                .spawn((Position { x: 0.0, y: 0.0 }, Velocity { x: speed, y: 0.0 }))
                .id();
            ScriptRunner::attach(
                world,
                entity,
                "mover.lua",
                mover,
                Default::default(),
                permissions.clone(),
            )
            .expect("attach");
            entity
        })
        .collect();

    for _ in 0..5 {
        app.update();
    }
    let world = app.world();
    assert_eq!(world.resource::<ScriptClock>().tick, 5);
    // Each frame's dt is bevy's: 0 on the first frame, then 0.25 s.
    let dts: Vec<String> = world
        .resource::<ScriptConsole>()
        .messages()
        .filter(|entry| entry.entity == Some(movers[0].to_bits()))
        .map(|entry| entry.text.clone())
        .collect();
    assert_eq!(dts, ["0.0", "0.25", "0.25", "0.25", "0.25"]);
    assert_eq!(
        world.get::<Position>(movers[0]),
        Some(&Position { x: 1.0, y: 0.0 })
    );
    assert_eq!(
        world.get::<Position>(movers[1]),
        Some(&Position { x: 2.0, y: 0.0 })
    );
    let manager = world.resource::<ScriptManager>();
    assert!(
        manager
            .ids()
            .iter()
            .all(|id| manager.errors(*id).is_empty())
    );
}
