//! `LuaboxPlugin` in a headless bevy `App` (feature `bevy`): the resources
//! it inserts, scripts ticked in `Update` with `dt` from bevy's `Time`.

use std::time::Duration;

use bevy_app::{App, TaskPoolPlugin};
use bevy_ecs::prelude::*;
use bevy_time::{TimePlugin, TimeUpdateStrategy};
use luabox::ecs::{
    ComponentRegistry, LuaboxPlugin, Permissions, ScriptClock, ScriptConsole, ScriptManager,
    ScriptRunner, ScriptSystems,
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
        .filter(|entry| entry.entity == Some(movers[0]))
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
            .all(|id| manager.errors(*id).expect("a loaded script").is_empty())
    );
}

/// What a system saw of `Position.x`, before and after the scripts ran.
#[derive(Resource, Default)]
struct Seen {
    before: Vec<f64>,
    after: Vec<f64>,
}

#[test]
fn systems_order_against_script_systems_and_attach_scripts_through_commands() {
    let engine = ScriptEngine::new(
        EngineConfig::default()
            .with_cache(CacheDir::At(
                std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("luabox-cache"),
            ))
            .with_allocation(luabox::SandboxAllocation::Pool { max_sandboxes: 4 }),
    )
    .expect("engine");
    let mut app = App::new();
    app.add_plugins(LuaboxPlugin::new(engine).register::<Position>("Position"))
        .init_resource::<Seen>()
        .add_systems(bevy_app::Startup, |mut commands: Commands| {
            let walker = commands.spawn(Position { x: 0.0, y: 0.0 }).id();
            commands.queue(ScriptRunner::attach_command(
                walker,
                "walker.lua",
                "function on_update() local p = ecs.get(entity, 'Position')
                     ecs.insert(entity, 'Position', {x = p.x + 1, y = p.y}) end",
                Default::default(),
                Permissions::default()
                    .read(["Position"])
                    .write(["Position"]),
            ));
            let broken = commands.spawn_empty().id();
            commands.queue(ScriptRunner::attach_command(
                broken,
                "broken.lua",
                "print('loading') this is not lua",
                Default::default(),
                Permissions::default(),
            ));
        })
        .add_systems(
            bevy_app::Update,
            (
                (|query: Query<&Position>, mut seen: ResMut<Seen>| {
                    seen.before.extend(query.iter().map(|p| p.x));
                })
                .before(ScriptSystems),
                (|query: Query<&Position>, mut seen: ResMut<Seen>| {
                    seen.after.extend(query.iter().map(|p| p.x));
                })
                .after(ScriptSystems),
            ),
        );
    for _ in 0..3 {
        app.update();
    }
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.before, [0.0, 1.0, 2.0]);
    assert_eq!(seen.after, [1.0, 2.0, 3.0]);

    // The script that did not load is not attached; the console says why,
    // after what it printed.
    let world = app.world_mut();
    assert_eq!(world.query::<&luabox::ecs::Script>().iter(world).count(), 1);
    let console = world.resource::<ScriptConsole>();
    let broken: Vec<&str> = console
        .messages()
        .filter(|entry| entry.script == "broken.lua")
        .map(|entry| entry.text.as_str())
        .collect();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(
        broken[0].starts_with("broken.lua did not load: syntax error"),
        "{broken:?}"
    );
}
