//! Arbitrary bytes as a Lua source, through the full run path: compile, run,
//! encode the results. Any outcome is fine except a host panic, an
//! unexplained trap (kind `security`) or an engine failure.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use luabox::{EngineConfig, ErrorKind, Limits, ScriptConfig, ScriptEngine};

fn engine() -> &'static ScriptEngine {
    static ENGINE: OnceLock<ScriptEngine> = OnceLock::new();
    ENGINE.get_or_init(|| match ScriptEngine::new(EngineConfig::default()) {
        Ok(engine) => engine,
        Err(error) => panic!("engine: {error}"),
    })
}

fuzz_target!(|source: &[u8]| {
    let config = ScriptConfig::default().with_limits(
        Limits::default()
            .with_fuel(20_000_000)
            .with_memory(16 << 20)
            .with_timeout(std::time::Duration::from_millis(200)),
    );
    let mut sandbox = match engine().instantiate("fuzz.lua", &config) {
        Ok(sandbox) => sandbox,
        Err(error) => panic!("instantiate: {error}"),
    };
    if let Err(error) = sandbox.run(source) {
        assert!(
            !matches!(error.kind(), ErrorKind::Security | ErrorKind::Engine),
            "unexpected failure: {error:?}"
        );
    }
});
