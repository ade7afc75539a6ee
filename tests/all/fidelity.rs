//! luabox runs Lua exactly as native Lua 5.4 does: a corpus of safe scripts
//! gives the same output in the sandbox as in mlua's vendored Lua 5.4.

use std::cell::RefCell;
use std::fs;
use std::path::Path;
use std::rc::Rc;

use mlua::{Function, Lua, MultiValue};

use crate::support::run_named;

/// Runs `source` in native Lua 5.4 with the same libraries and a `print`
/// that records lines the way luabox's does.
fn native(name: &str, source: &str) -> Vec<String> {
    let lua = Lua::new();
    let lines = Rc::new(RefCell::new(Vec::new()));
    let recorded = Rc::clone(&lines);
    let tostring: Function = lua.globals().get("tostring").unwrap();
    let print = lua
        .create_function(move |_, args: MultiValue| {
            let parts: Vec<String> = args
                .into_iter()
                .map(|value| {
                    let text: mlua::LuaString = tostring.call(value)?;
                    Ok(String::from_utf8_lossy(&text.as_bytes()).into_owned())
                })
                .collect::<mlua::Result<_>>()?;
            recorded.borrow_mut().push(parts.join("\t"));
            Ok(())
        })
        .unwrap();
    lua.globals().set("print", print).unwrap();
    lua.load(source)
        .set_name(format!("@{name}"))
        .exec()
        .unwrap();
    drop(lua);
    Rc::try_unwrap(lines).unwrap().into_inner()
}

#[test]
fn the_corpus_prints_the_same_as_native_lua() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fidelity");
    let mut checked = 0;
    for entry in fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = fs::read_to_string(&path).unwrap();
        let expected = native(&name, &source);
        let sandboxed = run_named(&name, &source);
        sandboxed.value();
        assert_eq!(sandboxed.output, expected, "{name} differs from native Lua");
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} corpus files");
}
