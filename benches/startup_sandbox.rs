//! A fresh sandbox ready to run (instance made, Lua state and libraries
//! initialised), against `mlua::Lua::new()` with the same libraries.
mod support;

use luabox::ScriptConfig;
use support::{Row, Unit, interleaved, time};

fn main() {
    let engine = support::engine();
    let config = ScriptConfig::default();
    let (ours, theirs) = interleaved(
        501,
        || {
            let mut sandbox = None;
            let took = time(|| sandbox = Some(engine.instantiate("fresh.lua", &config)));
            match sandbox {
                Some(Ok(sandbox)) => drop(sandbox),
                Some(Err(error)) => panic!("instantiate: {error}"),
                None => unreachable!(),
            }
            took
        },
        || {
            let mut lua = None;
            let took = time(|| lua = Some(mlua::Lua::new()));
            drop(lua);
            took
        },
    );
    Row::new(
        "startup_sandbox",
        "startup: fresh sandbox",
        Unit::Us,
        ours,
        theirs,
    )
    .value_target(30.0)
    .report();
}
