//! Scripts share nothing: globals, metatables and failures stay in their own
//! sandbox.

use luabox::{Limit, Limits, ScriptConfig, ScriptError};
use serde_json::json;

use crate::support::engine;

#[test]
fn globals_of_one_script_are_invisible_to_another() {
    let config = ScriptConfig::default();
    let mut first = engine().instantiate("first.lua", &config).unwrap();
    let mut second = engine().instantiate("second.lua", &config).unwrap();
    first.run("secret = 'mine' print = nil").unwrap();
    assert_eq!(
        second.run("return secret, type(print)").unwrap(),
        json!([null, "function"])
    );
    assert_eq!(first.run("return secret").unwrap(), json!("mine"));
}

#[test]
fn string_metatable_tampering_stays_in_its_sandbox() {
    let config = ScriptConfig::default();
    let mut attacker = engine().instantiate("attacker.lua", &config).unwrap();
    let mut victim = engine().instantiate("victim.lua", &config).unwrap();
    attacker
        .run("getmetatable('').__index = function() return function() return 'poisoned' end end")
        .unwrap();
    assert_eq!(
        attacker.run("return ('x'):upper()").unwrap(),
        json!("poisoned")
    );
    assert_eq!(victim.run("return ('x'):upper()").unwrap(), json!("X"));
}

#[test]
fn poisoned_globals_do_not_reach_print_or_load() {
    // The glue behind print and load is not Lua, so replacing tostring,
    // string functions or the string metatable changes nothing for it.
    let mut script = engine()
        .instantiate("poison.lua", &ScriptConfig::default())
        .unwrap();
    let value = script
        .run(
            r#"
            tostring = function() return "poisoned" end
            string.format = nil
            getmetatable("").__index = nil
            print(1, "two", nil)
            return load("return 5")()
            "#,
        )
        .unwrap();
    assert_eq!(value, json!(5));
    assert_eq!(script.take_output()[0].text, "1\ttwo\tnil");
}

#[test]
fn a_trap_in_one_script_does_not_disturb_another() {
    let mut healthy = engine()
        .instantiate("healthy.lua", &ScriptConfig::default())
        .unwrap();
    healthy.run("n = 1").unwrap();
    let spinner_config =
        ScriptConfig::default().with_limits(Limits::default().with_fuel(10_000_000));
    let mut spinner = engine()
        .instantiate("spinner.lua", &spinner_config)
        .unwrap();
    let error = spinner.run("while true do end").unwrap_err();
    assert!(matches!(
        error,
        ScriptError::ResourceLimitExceeded {
            limit: Limit::Fuel,
            ..
        }
    ));
    assert_eq!(healthy.run("n = n + 1 return n").unwrap(), json!(2));
}
