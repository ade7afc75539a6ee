//! Typed values at the API: `eval::<T>`, `call::<R>(name, args)` and
//! `event(name, payload)` decode and encode MessagePack straight into and
//! from Rust types; a mismatch is `ScriptError::Conversion`; configuration
//! out of range is `ScriptError::InvalidConfig`.

use std::collections::BTreeMap;
use std::time::Duration;

use luabox::{
    EngineConfig, ErrorKind, Limits, SandboxAllocation, ScriptConfig, ScriptEngine, ScriptError,
    ScriptInstance,
};
use serde::{Deserialize, Serialize};

use crate::support::{engine, test_cache};

fn sandbox() -> ScriptInstance {
    engine()
        .instantiate("typed.lua", &ScriptConfig::default())
        .expect("instantiate")
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Player {
    name: String,
    level: u8,
    tags: Vec<String>,
}

#[test]
fn eval_decodes_results_straight_into_rust_types() {
    let mut script = sandbox();
    assert_eq!(script.eval::<i64>("return 40 + 2").unwrap(), 42);
    assert_eq!(script.eval::<f64>("return 0.5").unwrap(), 0.5);
    assert_eq!(script.eval::<()>("local x = 1").unwrap(), ());
    assert_eq!(script.eval::<Option<i64>>("return nil").unwrap(), None);
    assert_eq!(
        script
            .eval::<(String, bool, i32)>("return 'a', true, -3")
            .unwrap(),
        ("a".to_string(), true, -3)
    );
    assert_eq!(
        script.eval::<Vec<u32>>("return {1, 2, 3}").unwrap(),
        vec![1, 2, 3]
    );
    assert_eq!(
        script
            .eval::<BTreeMap<String, i64>>("return {x = 1, y = 2}")
            .unwrap(),
        BTreeMap::from([("x".to_string(), 1), ("y".to_string(), 2)])
    );
    assert_eq!(
        script
            .eval::<Player>("return {name = 'ada', level = 7, tags = {'a', 'b'}}")
            .unwrap(),
        Player {
            name: "ada".into(),
            level: 7,
            tags: vec!["a".into(), "b".into()],
        }
    );
}

#[test]
fn a_result_that_does_not_fit_names_the_type_and_what_came_and_leaves_the_sandbox_usable() {
    let mut script = sandbox();
    type Case = (
        &'static str,
        Box<dyn Fn(&mut ScriptInstance) -> ScriptError>,
        &'static str,
    );
    let cases: [Case; 4] = [
        (
            "return 'forty-two'",
            Box::new(|s| s.eval::<i64>("return 'forty-two'").unwrap_err()),
            "expected i64, got a string",
        ),
        (
            "return 300",
            Box::new(|s| s.eval::<u8>("return 300").unwrap_err()),
            "expected u8, got an integer",
        ),
        (
            "return {1, 2}",
            Box::new(|s| s.eval::<String>("return {1, 2}").unwrap_err()),
            "expected String, got a table of 2 items",
        ),
        (
            "player with a bad level",
            Box::new(|s| {
                s.eval::<Player>("return {name = 'ada', level = 'high', tags = {}}")
                    .unwrap_err()
            }),
            "field `level`",
        ),
    ];
    for (what, run, expected) in cases {
        let error = run(&mut script);
        assert_eq!(error.kind(), ErrorKind::Conversion, "{what}: {error}");
        let ScriptError::Conversion {
            script: name,
            expected: type_name,
            message,
        } = &error
        else {
            panic!("{what}: {error:?}");
        };
        assert_eq!(name, "typed.lua");
        assert!(!type_name.contains("::"), "{type_name}");
        assert!(message.contains(expected), "{what}: {message}");
    }
    assert_eq!(script.eval::<i64>("return 1").unwrap(), 1);
}

#[test]
fn call_takes_a_tuple_as_its_argument_list() {
    let mut script = sandbox();
    script
        .run(
            "function greet(who, times) return ('hello ' .. who):rep(times or 1, ', ') end
             function count(...) return select('#', ...) end
             function describe(p) return p.name .. ' ' .. p.level .. ' ' .. #p.tags end",
        )
        .unwrap();
    assert_eq!(
        script.call::<String>("greet", ("world",)).unwrap(),
        "hello world"
    );
    assert_eq!(
        script.call::<String>("greet", ("you", 2)).unwrap(),
        "hello you, hello you"
    );
    assert_eq!(script.call::<String>("greet", "one").unwrap(), "hello one");
    assert_eq!(script.call::<i64>("count", ()).unwrap(), 0);
    assert_eq!(script.call::<i64>("count", (1, 2, 3)).unwrap(), 3);
    assert_eq!(script.call::<i64>("count", vec![7; 5]).unwrap(), 5);
    let player = Player {
        name: "ada".into(),
        level: 7,
        tags: vec!["x".into()],
    };
    assert_eq!(
        script.call::<String>("describe", (&player,)).unwrap(),
        "ada 7 1"
    );

    let missing = script.call::<()>("nowhere", ()).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Runtime, "{missing}");
    assert!(missing.to_string().contains("'nowhere'"), "{missing}");
}

#[test]
fn event_takes_any_serialisable_payload() {
    let mut script = sandbox();
    script
        .run("got = nil function on_event(name, payload) got = name .. ':' .. payload.name .. payload.level end")
        .unwrap();
    let player = Player {
        name: "bo".into(),
        level: 3,
        tags: vec![],
    };
    script.event("joined", &player).unwrap();
    assert_eq!(script.eval::<String>("return got").unwrap(), "joined:bo3");
}

#[test]
fn limits_out_of_range_are_refused_by_the_library_naming_the_field() {
    let refused = |limits: Limits, field: &str| {
        let config = ScriptConfig::default().with_limits(limits);
        match engine().instantiate("bad.lua", &config) {
            Err(ScriptError::InvalidConfig { field: named, .. }) => assert_eq!(named, field),
            Err(other) => panic!("{field}: {other:?}"),
            Ok(_) => panic!("{field}: accepted"),
        }
    };
    refused(Limits::default().with_fuel(0), "Limits::fuel");
    refused(
        Limits::default().with_timeout(Duration::ZERO),
        "Limits::timeout",
    );
    refused(
        Limits::default().with_timeout(Duration::MAX),
        "Limits::timeout",
    );
    refused(Limits::default().with_memory(0), "Limits::memory");
    refused(
        Limits::default().with_recursion_depth(0),
        "Limits::recursion_depth",
    );
    assert_eq!(
        Limits::default()
            .with_fuel(0)
            .validate()
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidConfig
    );

    let engine_refused = |config: EngineConfig, field: &str| match ScriptEngine::new(config) {
        Err(ScriptError::InvalidConfig { field: named, .. }) => assert_eq!(named, field),
        Err(other) => panic!("{field}: {other:?}"),
        Ok(_) => panic!("{field}: accepted"),
    };
    let base = EngineConfig::default().with_cache(test_cache());
    engine_refused(
        base.clone()
            .with_allocation(SandboxAllocation::Pool { max_sandboxes: 0 }),
        "EngineConfig::allocation",
    );
    engine_refused(
        base.clone().with_epoch_tick(Duration::ZERO),
        "EngineConfig::epoch_tick",
    );
    engine_refused(base.with_max_wasm_stack(0), "EngineConfig::max_wasm_stack");
}
