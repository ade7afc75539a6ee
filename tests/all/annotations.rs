//! Editor types: the annotations describe the API a sandbox really has (read
//! from a live sandbox, so they cannot drift), compile as Lua, and type
//! components from schemars schemas and scene values.

use std::collections::BTreeSet;

use luabox::{Annotations, ScriptConfig, ScriptEngine};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::support::test_cache;

#[allow(dead_code)]
#[derive(JsonSchema, Serialize, Deserialize)]
struct Health {
    now: f64,
    max: u32,
    /// Optional: absent means none.
    shield: Option<f64>,
    status: Status,
    tags: Vec<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Alive,
    Dead,
}

#[allow(dead_code)]
#[derive(JsonSchema, Serialize, Deserialize)]
struct Counter(i64);

fn engine() -> ScriptEngine {
    ScriptEngine::new(luabox::EngineConfig::default().with_cache(test_cache())).unwrap()
}

fn annotations() -> String {
    let health = serde_json::to_value(schemars::schema_for!(Health)).unwrap();
    let counter = serde_json::to_value(schemars::schema_for!(Counter)).unwrap();
    Annotations::new()
        .component("Health", &health)
        .component("Counter", &counter)
        .component_like(
            "Label",
            &json!({"text": "door", "pos": [1, 2], "odd key": true}),
        )
        .render()
}

/// `---@field` lines of the class `name`, as `(field, type)`.
fn fields_of(text: &str, name: &str) -> Vec<(String, String)> {
    let header = format!("---@class {name}\n");
    let Some(start) = text.find(&header) else {
        panic!("no class {name} in:\n{text}");
    };
    text[start + header.len()..]
        .lines()
        .map_while(|line| line.strip_prefix("---@field "))
        .map(|field| {
            // `name type` or `["odd name"] type`.
            let at = match field.strip_prefix('[') {
                Some(rest) => rest.find("] ").map(|end| end + 2).unwrap(),
                None => field.find(' ').unwrap(),
            };
            (field[..at].to_string(), field[at + 1..].to_string())
        })
        .collect()
}

#[test]
fn components_are_typed_from_schemars_schemas_and_examples() {
    let text = annotations();
    let health = fields_of(&text, "Health");
    let field = |name: &str| {
        health
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, lua_type)| lua_type.as_str())
            .unwrap_or_else(|| panic!("no field {name} in {health:?}"))
    };
    assert_eq!(field("now"), "number");
    assert_eq!(field("max"), "integer");
    assert_eq!(field("shield?"), "number?");
    assert_eq!(field("status"), r#""alive"|"dead""#);
    assert_eq!(field("tags"), "string[]");
    assert!(text.contains("---@alias Counter integer\n"), "{text}");
    let label = fields_of(&text, "Label");
    assert!(
        label.contains(&(r#"["odd key"]"#.into(), "boolean".into())),
        "{label:?}"
    );
    assert!(
        label.contains(&("pos".into(), "number[]".into())),
        "{label:?}"
    );
    assert!(text.contains(r#"---@overload fun(e: Entity, name: "Health"): Health?"#));
    assert!(text.contains(r#"---@alias ComponentName "Counter"|"Health"|"Label""#));
}

#[test]
fn the_annotations_cover_the_api_a_sandbox_has_and_nothing_it_lacks() {
    let text = annotations();
    let engine = engine();
    let mut script = engine
        .instantiate("probe.lua", &ScriptConfig::default())
        .unwrap();
    // Every function of ecs, task and log in a live sandbox.
    let listed = script
        .run(
            "local names = {}
             for _, library in ipairs{'ecs', 'task', 'log'} do
                 for name in pairs(_G[library]) do names[#names + 1] = library .. '.' .. name end
             end
             return names",
        )
        .unwrap();
    let live: BTreeSet<String> = serde_json::from_value(listed).unwrap();
    assert!(
        live.contains("task.wait") && live.contains("ecs.emit"),
        "{live:?}"
    );
    let declared: BTreeSet<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("function "))
        .filter_map(|line| line.split_once('(').map(|(name, _)| name.to_string()))
        .filter(|name| name.contains('.'))
        .collect();
    assert_eq!(declared, live, "declared vs what a sandbox has");
    for callback in [
        "on_start()",
        "on_update(dt)",
        "on_event(name, payload, sender)",
    ] {
        assert!(
            text.contains(&format!("function {callback} end")),
            "{callback}"
        );
    }
    // What the annotations call absent is absent in a sandbox.
    for global in ["os", "io", "package", "require", "dofile", "loadfile"] {
        assert!(text.contains(&format!("\n{global} = nil\n")), "{global}");
        let present = script.run(format!("return {global} ~= nil")).unwrap();
        assert_eq!(present, false, "{global} exists in a sandbox");
    }
    let debug = script
        .run("local n = 0 for _ in pairs(debug) do n = n + 1 end return n")
        .unwrap();
    assert_eq!(debug, 1, "debug holds only traceback");
}

#[test]
fn the_annotations_are_lua_that_compiles() {
    let text = annotations();
    let engine = engine();
    let mut script = engine
        .instantiate("meta.lua", &ScriptConfig::default())
        .unwrap();
    script
        .run("function compiles(text) local f, err = load(text, '=luabox.d.lua') return f ~= nil, err end")
        .unwrap();
    let compiled: (bool, Option<String>) = script.call("compiles", (&text,)).unwrap();
    assert_eq!(compiled, (true, None));
    // And runs: the stubs define functions, the removed globals are nil.
    script.run(&text).unwrap();
}

#[test]
fn component_classes_never_share_or_shadow_a_type_name() {
    let text = Annotations::new()
        .component_like("My-Comp", &json!({"a": 1}))
        .component_like("My_Comp", &json!({"b": "x"}))
        .component_like("Entity", &json!({"c": true}))
        .component_like("string", &json!({"d": 1}))
        .render();
    assert!(
        text.contains("---@class My_Comp\n---@field a number\n"),
        "{text}"
    );
    assert!(
        text.contains("---@class My_Comp_2\n---@field b string\n"),
        "{text}"
    );
    assert!(
        text.contains("---@class Entity_2\n---@field c boolean\n"),
        "{text}"
    );
    assert!(
        text.contains("---@class string_2\n---@field d number\n"),
        "{text}"
    );
    assert!(text.contains("---@alias Entity integer\n"));
    // Each component's overloads name its own class.
    for (name, class) in [
        ("My-Comp", "My_Comp"),
        ("My_Comp", "My_Comp_2"),
        ("Entity", "Entity_2"),
        ("string", "string_2"),
    ] {
        assert!(
            text.contains(&format!(
                "---@overload fun(e: Entity, name: \"{name}\"): {class}?\n"
            )),
            "{name}"
        );
    }
}
