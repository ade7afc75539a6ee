//! What a script cannot reach: removed libraries and functions, binary
//! chunks, collector control.

use luabox::{ScriptConfig, ScriptError, StdLib};
use serde_json::json;

use crate::support::{engine, run};

/// What an escape would print; never in any output.
const ESCAPED: &str = "ESCAPED";

fn assert_runtime_error(source: &str) {
    let outcome = run(source);
    assert!(
        matches!(outcome.error(), ScriptError::Runtime { .. }),
        "{:?}",
        outcome.error()
    );
    assert!(!outcome.text().contains(ESCAPED), "{}", outcome.text());
}

#[test]
fn removed_globals_are_nil() {
    let outcome = run(
        "return {os = os, io = io, package = package, require = require, dofile = dofile,
                 loadfile = loadfile, dump = string.dump, getinfo = debug.getinfo,
                 getregistry = debug.getregistry, sethook = debug.sethook}",
    );
    assert_eq!(outcome.value(), &json!({}));
}

#[test]
fn os_execute_is_a_runtime_error() {
    assert_runtime_error("os.execute('echo ESCAPED') print('ESCAPED')");
}

#[test]
fn io_open_is_a_runtime_error() {
    assert_runtime_error("io.open('/etc/passwd'):read('a') print('ESCAPED')");
}

#[test]
fn debug_getinfo_is_a_runtime_error() {
    assert_runtime_error("debug.getinfo(1) print('ESCAPED')");
}

#[test]
fn require_and_package_are_runtime_errors() {
    assert_runtime_error("require('os') print('ESCAPED')");
    assert_runtime_error("package.loadlib('libc.so.6', 'system') print('ESCAPED')");
}

#[test]
fn dofile_and_loadfile_are_runtime_errors() {
    assert_runtime_error("dofile('/etc/passwd') print('ESCAPED')");
    assert_runtime_error("loadfile('/etc/passwd') print('ESCAPED')");
}

#[test]
fn string_dump_is_gone_even_through_the_string_metatable() {
    assert_runtime_error("('x'):dump() print('ESCAPED')");
    assert_eq!(
        run("return getmetatable('').__index.dump == nil").value(),
        true
    );
}

#[test]
fn debug_has_only_traceback() {
    let outcome = run(
        "local names = {} for k in pairs(debug) do names[#names + 1] = k end
         return {names = names, tb = debug.traceback('here')}",
    );
    assert_eq!(outcome.value()["names"], json!(["traceback"]));
    assert!(
        outcome.value()["tb"]
            .as_str()
            .unwrap()
            .starts_with("here\nstack traceback:")
    );
}

#[test]
fn binary_chunks_are_refused_whatever_the_mode() {
    let outcome = run(r#"
        local binary = "\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86\0\0"
        local results = {}
        for _, mode in ipairs({"b", "bt", "t"}) do
            local f, err = load(binary, "x", mode)
            results[mode] = err
            if f then print("ESCAPED") end
        end
        local pieces = {binary}
        local f, err = load(function() return table.remove(pieces) end, "reader", "b")
        results.reader = err
        return results
        "#);
    let value = outcome.value();
    for key in ["b", "bt", "t", "reader"] {
        let message = value[key].as_str().unwrap_or_default();
        assert!(
            message.contains("attempt to load a binary chunk"),
            "{key}: {message}"
        );
    }
    assert!(!outcome.text().contains(ESCAPED));
}

#[test]
fn load_compiles_text_into_the_sandbox_with_names_and_environments() {
    let outcome = run(r#"
        local f = load("return x + 1", "=chunk", "t", {x = 41})
        local g, err = load("x = = 1", "=broken")
        return {f(), err}
        "#);
    assert_eq!(
        outcome.value(),
        &json!([42, "broken:1: unexpected symbol near '='"])
    );
}

#[test]
fn a_loaded_chunk_with_a_custom_environment_reaches_nothing_more() {
    let outcome = run("local f = load('return os, io, require', 'x', 't', _G) return {f()}");
    assert_eq!(outcome.value(), &json!({}));
}

#[test]
fn math_random_is_seeded_by_the_host() {
    let draw = |seed| {
        let config = ScriptConfig::default().with_seed(seed);
        let mut script = engine().instantiate("dice.lua", &config).unwrap();
        script
            .run("local t = {} for i = 1, 5 do t[i] = math.random(1000) end return t")
            .unwrap()
    };
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7), draw(8));
}

#[test]
fn only_the_chosen_libraries_are_opened() {
    let config = ScriptConfig::default().with_libraries(StdLib::TABLE | StdLib::UTF8);
    let mut script = engine().instantiate("few.lua", &config).unwrap();
    let value = script
        .run("return {table = type(table), utf8 = type(utf8), string = type(string), math = type(math), coroutine = type(coroutine)}")
        .unwrap();
    assert_eq!(
        value,
        json!({"table": "table", "utf8": "table", "string": "nil", "math": "nil", "coroutine": "nil"})
    );
}

#[test]
fn warn_reaches_the_console_at_level_warn_when_switched_on() {
    let config = ScriptConfig::default();
    let mut script = engine().instantiate("warn.lua", &config).expect("sandbox");
    script
        .run(
            "warn('not shown: warnings start off')
             warn('@on')
             warn('shown ', 'in ', 'pieces')
             warn('@unknown control messages are ignored')
             setmetatable({}, {__gc = function() error('in a finalizer') end}) collectgarbage()
             warn('@off')
             warn('hidden')",
        )
        .expect("run");
    let messages: Vec<(luabox::ConsoleLevel, String)> = script
        .take_output()
        .into_iter()
        .map(|message| (message.level, message.text))
        .collect();
    assert_eq!(
        messages,
        [
            (luabox::ConsoleLevel::Warn, "shown in pieces".to_string()),
            (
                luabox::ConsoleLevel::Warn,
                "error in __gc (warn.lua:5: in a finalizer)".to_string()
            ),
        ]
    );
}
