//! Every function luabox adds to Lua (`ecs`, `task`, `log`, `print`) called
//! with 0 to 2,000 arguments of every kind, from the main chunk, callbacks,
//! tasks and fresh coroutines (see `luabox::fuzzing::lua_api_calls`). Lua's
//! API checks are on in the guest, so a push without room traps, and a trap
//! that is not a limit fails the target.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use luabox::fuzzing::{ApiCall, lua_api_calls};
use luabox::{EngineConfig, ScriptEngine};

fn engine() -> &'static ScriptEngine {
    static ENGINE: OnceLock<ScriptEngine> = OnceLock::new();
    ENGINE.get_or_init(|| match ScriptEngine::new(EngineConfig::default()) {
        Ok(engine) => engine,
        Err(error) => panic!("engine: {error}"),
    })
}

fuzz_target!(|calls: Vec<ApiCall>| {
    lua_api_calls(engine(), &calls);
});
