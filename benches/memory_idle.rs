//! Memory committed by idle sandboxes: resident memory grown by 1,000 live
//! sandboxes (each has run a trivial script), per sandbox, against 1,000 mlua
//! states doing the same.
mod support;

use luabox::ScriptConfig;
use support::{Row, Unit};

const SANDBOXES: usize = 1_000;

/// Resident memory of this process, in KiB.
fn resident_kib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .unwrap_or(0.0);
    pages * 4.0
}

fn main() {
    let engine = support::engine();
    let config = ScriptConfig::default();
    // Warm up: the engine's own first-use allocations are not a sandbox's.
    drop(engine.instantiate("warm.lua", &config));

    let before = resident_kib();
    let mut sandboxes = Vec::with_capacity(SANDBOXES);
    for _ in 0..SANDBOXES {
        let mut sandbox = engine
            .instantiate("idle.lua", &config)
            .unwrap_or_else(|error| panic!("instantiate: {error}"));
        if let Err(error) = sandbox.run("local x = 1") {
            panic!("run: {error}");
        }
        sandboxes.push(sandbox);
    }
    let ours = (resident_kib() - before) / SANDBOXES as f64;
    drop(sandboxes);

    let before = resident_kib();
    let mut states = Vec::with_capacity(SANDBOXES);
    for _ in 0..SANDBOXES {
        let lua = mlua::Lua::new();
        if let Err(error) = lua.load("local x = 1").exec() {
            panic!("native: {error}");
        }
        states.push(lua);
    }
    let theirs = (resident_kib() - before) / SANDBOXES as f64;
    drop(states);

    Row::values(
        "memory_idle",
        "memory: idle sandbox (resident, each of 1,000)",
        Unit::Kib,
        ours,
        theirs,
    )
    .value_target(512.0)
    .report();
}
