//! Errors read like Lua's: kind, `file:line: message`, traceback.

use luabox::{Limit, Limits, ScriptError};
use serde_json::json;

use crate::support::{run, run_with};

#[test]
fn a_syntax_error_names_its_line() {
    match run("local a = 1\nlocal b = = 2\n").error() {
        ScriptError::Syntax {
            script,
            line,
            message,
        } => {
            assert_eq!(script, "test.lua");
            assert_eq!(*line, Some(2));
            assert_eq!(message, "test.lua:2: unexpected symbol near '='");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_runtime_error_names_its_line_and_has_a_traceback() {
    let outcome = run("local function inner()\n  local x = nil\n  return x.field\nend\ninner()\n");
    match outcome.error() {
        ScriptError::Runtime {
            line,
            message,
            traceback,
            ..
        } => {
            assert_eq!(*line, Some(3));
            assert_eq!(
                message,
                "test.lua:3: attempt to index a nil value (local 'x')"
            );
            let traceback = traceback.as_deref().unwrap();
            assert!(traceback.starts_with("stack traceback:"), "{traceback}");
            assert!(
                traceback.contains("test.lua:3: in local 'inner'"),
                "{traceback}"
            );
            assert!(
                traceback.contains("test.lua:5: in main chunk"),
                "{traceback}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_error_with_a_table_value_is_described_by_its_type() {
    let outcome = run("error({code = 42})");
    assert_eq!(outcome.error().message(), "(error object is a table value)");
    // The message names no line; the traceback's first Lua frame does.
    assert_eq!(outcome.error().line(), Some(1));
}

#[test]
fn an_error_without_a_position_takes_its_line_from_the_traceback() {
    let outcome = run("local x = 1\n\nerror('no position', 0)");
    assert_eq!(outcome.error().message(), "no position");
    assert_eq!(outcome.error().line(), Some(3));
}

#[test]
fn an_error_object_with_tostring_uses_it() {
    let outcome = run("error(setmetatable({}, {__tostring = function() return 'custom!' end}))");
    assert_eq!(outcome.error().message(), "custom!");
}

#[test]
fn a_failing_tostring_falls_back_to_the_type() {
    let outcome = run("error(setmetatable({}, {__tostring = function() error('nope') end}))");
    assert!(
        outcome.error().message().contains("table value"),
        "{}",
        outcome.error()
    );
}

#[test]
fn a_looping_tostring_on_an_error_runs_out_of_fuel() {
    let outcome = run_with(
        Limits::default().with_fuel(20_000_000),
        "error(setmetatable({}, {__tostring = function() while true do end end}))",
    );
    outcome.assert_limit(Limit::Fuel);
}

#[test]
fn pcall_and_error_objects_behave_as_in_lua() {
    let outcome = run(r#"
        local ok, e = pcall(error, {code = 7})
        local ok2, e2 = pcall(error, "msg", 0)
        local ok3, e3 = pcall(error)
        return {ok, e.code, ok2, e2, ok3, e3 == nil}
        "#);
    assert_eq!(
        outcome.value(),
        &json!([false, 7, false, "msg", false, true])
    );
}

#[test]
fn xpcall_runs_the_message_handler() {
    let outcome = run(r#"
        local function handler(m) return "handled: " .. m .. " | " .. type(debug.traceback()) end
        return {xpcall(function() error("boom") end, handler)}
        "#);
    assert_eq!(
        outcome.value(),
        &json!([false, "handled: test.lua:3: boom | string"])
    );
}

#[test]
fn an_error_inside_a_message_handler_is_contained() {
    let outcome = run("return {xpcall(error, function() error('again') end)}");
    assert_eq!(outcome.value()[0], json!(false));
}

#[test]
fn an_instance_stays_usable_after_a_lua_error() {
    let mut outcome = run("counter = 1 error('first')");
    assert!(matches!(outcome.error(), ScriptError::Runtime { .. }));
    assert_eq!(
        outcome
            .instance
            .run("counter = counter + 1 return counter")
            .unwrap(),
        json!(2)
    );
}
