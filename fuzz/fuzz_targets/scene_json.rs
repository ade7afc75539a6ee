//! Arbitrary text as a scene: parsed, and when it parses, run for two ticks
//! with small budgets. A parse error must be a message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use luabox::scene::Scene;
use luabox::{EngineConfig, Limits, ScriptConfig, ScriptEngine};

fuzz_target!(|text: &str| {
    let Ok(scene) = Scene::parse(text) else {
        return;
    };
    if scene.entities.len() > 16 {
        return;
    }
    let engine = match ScriptEngine::new(
        EngineConfig::default()
            .with_allocation(luabox::SandboxAllocation::Pool { max_sandboxes: 16 }),
    ) {
        Ok(engine) => engine,
        Err(error) => panic!("engine: {error}"),
    };
    let config = ScriptConfig::default().with_limits(
        Limits::default()
            .with_fuel(5_000_000)
            .with_memory(8 << 20)
            .with_timeout(std::time::Duration::from_millis(100)),
    );
    let report = scene.run(engine, &config, 2, 0.1);
    assert!(
        serde_json::to_string(&report).is_ok(),
        "the report does not encode"
    );
});
