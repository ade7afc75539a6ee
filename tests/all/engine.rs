//! Engine-wide settings: the sandbox pool, fuel metering off, and sandboxes
//! started from the pre-initialised guest.

use std::time::Duration;

use luabox::{EngineConfig, Limit, Limits, ScriptConfig, ScriptEngine, ScriptError, StdLib};

use crate::support::test_cache;

fn engine_with(config: EngineConfig) -> ScriptEngine {
    ScriptEngine::new(config.with_cache(test_cache())).expect("engine")
}

#[test]
fn a_full_pool_refuses_a_sandbox_clearly_and_a_freed_slot_is_reused() {
    let engine = engine_with(
        EngineConfig::default()
            .with_allocation(luabox::SandboxAllocation::Pool { max_sandboxes: 2 }),
    );
    let config = ScriptConfig::default();
    let first = engine.instantiate("one.lua", &config).expect("first");
    let mut second = engine.instantiate("two.lua", &config).expect("second");
    let error = engine
        .instantiate("three.lua", &config)
        .err()
        .expect("a full pool");
    match &error {
        ScriptError::Engine { message } => {
            assert!(message.contains("three.lua"), "{message}");
            assert!(message.contains("max_sandboxes"), "{message}");
        }
        other => panic!("expected an engine error, got {other:?}"),
    }
    // The live sandboxes are untouched, and a freed slot serves a new one
    // with nothing of the old one's state.
    assert_eq!(second.run("leaked = 'two' return 1 + 1").expect("run"), 2);
    drop(first);
    drop(second);
    let mut third = engine
        .instantiate("three.lua", &config)
        .expect("a freed slot");
    assert_eq!(
        third.run("return leaked").expect("run"),
        serde_json::Value::Null
    );
}

#[test]
fn without_fuel_the_timeout_still_stops_a_loop() {
    let engine = engine_with(EngineConfig::default().with_consume_fuel(false));
    let config = ScriptConfig::default().with_limits(
        Limits::default()
            .with_fuel(1_000)
            .with_timeout(std::time::Duration::from_millis(50)),
    );
    let mut script = engine
        .instantiate("spin.lua", &config)
        .expect("instantiate");
    // A fuel budget of 1,000 would stop this at once if fuel were metered.
    assert_eq!(
        script
            .run("local n = 0 for i = 1, 1e5 do n = n + i end return n")
            .expect("run"),
        5000050000u64
    );
    assert_eq!(script.fuel_used(), 0);
    let started = std::time::Instant::now();
    let error = script.run("while true do end").unwrap_err();
    assert!(
        matches!(
            error,
            ScriptError::ResourceLimitExceeded {
                limit: Limit::Timeout,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn sandboxes_from_the_snapshot_get_their_own_seed_and_libraries() {
    let engine = engine_with(EngineConfig::default());
    let sample = |seed: u64| {
        let config = ScriptConfig::default().with_seed(seed);
        let mut script = engine
            .instantiate("seeded.lua", &config)
            .expect("instantiate");
        script
            .run("return {math.random(1, 1000000), math.random(1, 1000000), entity}")
            .expect("run")
    };
    assert_eq!(sample(1), sample(1));
    assert_ne!(sample(1)[0], sample(2)[0]);
    // A sandbox outside a world has no entity (only ScriptRunner::attach gives one).
    assert_eq!(sample(7)[2], serde_json::Value::Null);

    // A library set other than the prepared one gets a state of its own.
    let config = ScriptConfig::default().with_libraries(StdLib::TABLE | StdLib::MATH);
    let mut script = engine
        .instantiate("narrow.lua", &config)
        .expect("instantiate");
    let present = script
        .run("return {string == nil, utf8 == nil, coroutine == nil, type(table.sort), type(math.floor)}")
        .expect("run");
    assert_eq!(
        present,
        serde_json::json!([true, true, true, "function", "function"])
    );
}
