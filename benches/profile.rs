//! Not a benchmark: runs one ECS scenario for many ticks, for a profiler.
//! `make bench` does not run it.
//!
//! ```sh
//! cargo bench -p luabox --bench profile --no-run
//! LUABOX_PERF_MAP=1 perf record -g target/release/deps/profile-* frame 300
//! ```
//!
//! Scenarios: `idle` (1,000 empty `on_update`s; `SCRIPTS=N` for another
//! count), `frame` (1,000 movers), `crossing` (10,000 get + insert round
//! trips in one script), `batch` (one script moving 10,000 entities with
//! `ecs.each`), `calls` (100,000 `ecs.exists` in one script: the bare cost
//! of a host call). `LUABOX_PERF_MAP=1` makes wasmtime write
//! `/tmp/perf-PID.map`, so perf names the guest's functions.
mod support;

use std::time::Instant;

use luabox::ecs::ScriptRunner;
use luabox::{Limits, ScriptConfig};
use support::world::{ORIGIN, VELOCITY, luabox_world, permissions};

fn main() {
    let mut arguments = std::env::args().skip(1).filter(|arg| arg != "--bench");
    let scenario = arguments.next().unwrap_or_else(|| "frame".into());
    let ticks: u32 = arguments.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let scripts = std::env::var("SCRIPTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let (source, scripts, extra_entities) = match scenario.as_str() {
        "idle" => ("function on_update(dt) end", scripts, 0),
        "frame" => (
            "function on_update(dt)
                local p = ecs.get(entity, 'Position')
                local v = ecs.get(entity, 'Velocity')
                ecs.insert(entity, 'Position', {x = p.x + v.x * dt, y = p.y + v.y * dt, z = p.z + v.z * dt})
            end",
            scripts,
            0,
        ),
        "crossing" => (
            "function on_update()
                for i = 1, 10000 do
                    local p = ecs.get(entity, 'Position')
                    ecs.insert(entity, 'Position', {x = p.x + 1, y = p.y, z = p.z})
                end
            end",
            1,
            0,
        ),
        "batch" => (
            "function on_update(dt)
                for e, p, v in ecs.each('Position', 'Velocity') do
                    ecs.insert(e, 'Position', {x = p.x + v.x * dt, y = p.y + v.y * dt, z = p.z + v.z * dt})
                end
            end",
            1,
            10_000,
        ),
        "calls" => (
            "function on_update() for i = 1, 100000 do ecs.exists(entity) end end",
            1,
            0,
        ),
        other => panic!("unknown scenario `{other}`: idle, frame, crossing, batch or calls"),
    };
    let mut world = luabox_world();
    for _ in 0..extra_entities {
        world.spawn((ORIGIN, VELOCITY));
    }
    let config = ScriptConfig::default().with_limits(Limits::default().with_fuel(u64::MAX / 4));
    for _ in 0..scripts {
        let entity = world.spawn((ORIGIN, VELOCITY)).id();
        let attached = ScriptRunner::attach(
            &mut world,
            entity,
            "profile.lua",
            source,
            config.clone(),
            permissions(),
        );
        if let Err(error) = attached {
            panic!("attach: {error}");
        }
    }
    ScriptRunner::tick(&mut world, 1.0 / 60.0);
    let started = Instant::now();
    for _ in 0..ticks {
        ScriptRunner::tick(&mut world, 1.0 / 60.0);
    }
    println!(
        "{scenario}: {:?} a tick over {ticks} ticks",
        started.elapsed() / ticks.max(1)
    );
}
