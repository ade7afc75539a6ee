//! A bevy `App` with luabox: three entities, each moved by its own Lua
//! script, run for 30 frames by bevy's schedule runner (no window, no
//! renderer: `bevy_app` and `bevy_time` only).
//!
//! ```sh
//! cargo run -p luabox --example bevy_app --features bevy
//! ```

use std::time::Duration;

use bevy_app::{App, AppExit, ScheduleRunnerPlugin, TaskPoolPlugin, Update};
use bevy_ecs::prelude::*;
use bevy_time::{TimePlugin, TimeUpdateStrategy};
use luabox::ScriptEngine;
use luabox::ecs::{LuaboxPlugin, Permissions, ScriptConsole, ScriptManager, ScriptRunner};
use serde::{Deserialize, Serialize};

#[derive(Component, Serialize, Deserialize, Debug)]
struct Position {
    x: f64,
    y: f64,
}

#[derive(Component, Serialize, Deserialize, Debug)]
struct Velocity {
    x: f64,
    y: f64,
}

const MOVER: &str = "function on_update(dt)
    local p, v = ecs.get(entity, 'Position'), ecs.get(entity, 'Velocity')
    ecs.insert(entity, 'Position', {x = p.x + v.x * dt, y = p.y + v.y * dt})
end";

const FRAMES: u32 = 30;

fn main() -> AppExit {
    let engine = match ScriptEngine::new(Default::default()) {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("cannot start luabox: {error}");
            return AppExit::error();
        }
    };
    let mut app = App::new();
    app.add_plugins((
        TaskPoolPlugin::default(),
        TimePlugin,
        ScheduleRunnerPlugin::run_loop(Duration::from_millis(1)),
        LuaboxPlugin::new(engine)
            .register::<Position>("Position")
            .register::<Velocity>("Velocity"),
    ))
    // A fixed 1/60 s a frame, so the output is the same on every run.
    .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(
        1.0 / 60.0,
    )))
    .add_systems(Update, stop_after_frames);

    let permissions = Permissions::default()
        .read(["Position", "Velocity"])
        .write(["Position"]);
    for (i, speed) in [1.0, 2.0, 3.0].into_iter().enumerate() {
        let world = app.world_mut();
        let entity = world
            .spawn((
                Position { x: 0.0, y: 0.0 },
                Velocity {
                    x: speed,
                    y: -speed,
                },
            ))
            .id();
        let name = format!("mover{i}.lua");
        if let Err(error) = ScriptRunner::attach(
            world,
            entity,
            &name,
            MOVER,
            Default::default(),
            permissions.clone(),
        ) {
            eprintln!("{error}");
            return AppExit::error();
        }
    }
    app.run()
}

/// Ends the app after [`FRAMES`] frames, printing where the scripts moved
/// their entities and any error they made.
fn stop_after_frames(
    mut frames: Local<u32>,
    mut exit: MessageWriter<AppExit>,
    movers: Query<(&Position, &Velocity)>,
    manager: Option<Res<ScriptManager>>,
    console: Option<Res<ScriptConsole>>,
) {
    *frames += 1;
    if *frames < FRAMES {
        return;
    }
    for (position, velocity) in &movers {
        println!(
            "velocity ({:+.0}, {:+.0}) -> position ({:.3}, {:.3})",
            velocity.x, velocity.y, position.x, position.y
        );
    }
    if let Some(manager) = manager {
        for id in manager.ids() {
            for error in manager.errors(id).unwrap_or_default() {
                eprintln!("{error}");
            }
        }
    }
    let dropped = console.map_or(0, |console| console.dropped());
    println!("{FRAMES} frames, {dropped} console messages dropped");
    exit.write(AppExit::Success);
}
