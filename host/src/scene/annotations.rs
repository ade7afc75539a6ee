//! Editor types: the Lua API a script has, as LuaLS annotations (a
//! `---@meta` file for lua-language-server), with a class per component.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// How deep a component's type is spelled out; deeper parts are `any`.
const MAX_TYPE_DEPTH: usize = 8;

/// LuaLS annotations for the Lua API of a luabox script: `ecs`, `task`,
/// `log`, the callbacks, `entity`, and a class per component. Globals that
/// standard Lua has and a sandbox does not (`os`, `io`, `package`,
/// `require`, `dofile`, `loadfile`, most of `debug`) are declared `nil`, so
/// the editor flags their use.
///
/// Components are described by a JSON Schema (for a Rust type, from
/// `schemars::schema_for!`), or by an example value (a scene's).
///
/// ```
/// use luabox::Annotations;
/// use serde_json::json;
///
/// let text = Annotations::new()
///     .component("Position", &json!({
///         "type": "object",
///         "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
///         "required": ["x", "y"]
///     }))
///     .component_like("Label", &json!({"text": "hi", "size": 2}))
///     .render();
/// assert!(text.starts_with("---@meta"));
/// assert!(text.contains("---@class Position\n---@field x number\n---@field y number\n"));
/// assert!(text.contains("---@field size number\n---@field text string\n"));
/// assert!(text.contains("---@overload fun(e: Entity, name: \"Position\"): Position?"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Annotations {
    /// Each component's JSON Schema.
    components: BTreeMap<String, Value>,
}

impl Annotations {
    /// Annotations with no components.
    pub fn new() -> Self {
        Self::default()
    }

    /// Describes the component `name` by a JSON Schema.
    pub fn component(&mut self, name: &str, schema: &Value) -> &mut Self {
        self.components.insert(name.to_string(), schema.clone());
        self
    }

    /// Describes the component `name` by an example value; a name already
    /// described keeps its description.
    pub fn component_like(&mut self, name: &str, example: &Value) -> &mut Self {
        self.components
            .entry(name.to_string())
            .or_insert_with(|| schema_of(example));
        self
    }

    /// The annotations file.
    pub fn render(&self) -> String {
        let classes = class_names(self.components.keys());
        let mut out = String::from(HEADER);
        for (schema, class) in self.components.values().zip(&classes) {
            out.push('\n');
            write_component(&mut out, class, schema);
        }
        out.push_str(&api(self.components.keys().zip(&classes)));
        out
    }
}

/// Type names the file itself or LuaLS already gives a meaning.
const TAKEN_TYPE_NAMES: [&str; 15] = [
    "Entity",
    "ComponentName",
    "any",
    "boolean",
    "function",
    "integer",
    "lightuserdata",
    "nil",
    "number",
    "self",
    "string",
    "table",
    "thread",
    "unknown",
    "userdata",
];

/// A class name per component, in order: the name made a Lua identifier,
/// with `_2`, `_3`, ... when that is taken (by LuaLS, by this file, or by
/// an earlier component: `My-Comp` and `My_Comp` would otherwise be one
/// class).
fn class_names<'a>(components: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut used: std::collections::BTreeSet<String> = TAKEN_TYPE_NAMES
        .iter()
        .map(|name| name.to_string())
        .collect();
    components
        .map(|name| {
            let base = lua_name(name);
            let class = std::iter::once(base.clone())
                .chain((2..).map(|n| format!("{base}_{n}")))
                .find(|candidate| !used.contains(candidate))
                .unwrap_or(base);
            used.insert(class.clone());
            class
        })
        .collect()
}

/// A JSON Schema that `value` fits: its shape, as precise as one example
/// allows.
fn schema_of(value: &Value) -> Value {
    match value {
        Value::Null => serde_json::json!({}),
        Value::Bool(_) => serde_json::json!({"type": "boolean"}),
        // A Lua number either way: an example `0` does not make a field an
        // integer.
        Value::Number(_) => serde_json::json!({"type": "number"}),
        Value::String(_) => serde_json::json!({"type": "string"}),
        Value::Array(items) => match items.first() {
            Some(first) => serde_json::json!({"type": "array", "items": schema_of(first)}),
            None => serde_json::json!({"type": "array"}),
        },
        Value::Object(fields) => {
            let properties: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(key, value)| (key.clone(), schema_of(value)))
                .collect();
            let required: Vec<&String> = fields.keys().collect();
            serde_json::json!({"type": "object", "properties": properties, "required": required})
        }
    }
}

/// `---@class` (an object) or `---@alias` (anything else) for a component,
/// named `name` (see [`class_names`]).
fn write_component(out: &mut String, name: &str, schema: &Value) {
    let resolved = resolve(schema, schema, 0);
    if let Some(properties) = resolved.get("properties").and_then(Value::as_object) {
        let required = required_of(resolved);
        let _ = writeln!(out, "---@class {name}");
        for (field, field_schema) in properties {
            let optional = if required.contains(&field.as_str()) {
                ""
            } else {
                "?"
            };
            let lua_type = lua_type(schema, field_schema, 1);
            let _ = writeln!(out, "---@field {}{optional} {lua_type}", field_name(field));
        }
    } else {
        let _ = writeln!(out, "---@alias {name} {}", lua_type(schema, schema, 0));
    }
}

/// The fields an object schema requires.
fn required_of(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `schema` with a `$ref` into `root` (`#/$defs/X`, `#/definitions/X`)
/// followed.
fn resolve<'a>(root: &'a Value, schema: &'a Value, depth: usize) -> &'a Value {
    let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
        return schema;
    };
    if depth > MAX_TYPE_DEPTH {
        return schema;
    }
    let pointer = reference.strip_prefix('#').unwrap_or(reference);
    match root.pointer(pointer) {
        Some(target) => resolve(root, target, depth + 1),
        None => schema,
    }
}

/// The LuaLS type of `schema` (within `root`, for references).
fn lua_type(root: &Value, schema: &Value, depth: usize) -> String {
    if depth > MAX_TYPE_DEPTH {
        return "any".into();
    }
    let schema = resolve(root, schema, depth);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let literals: Vec<String> = values.iter().map(literal).collect();
        if !literals.is_empty() {
            return literals.join("|");
        }
    }
    if let Some(constant) = schema.get("const") {
        return literal(constant);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(choices) = schema.get(key).and_then(Value::as_array) {
            return union(
                choices
                    .iter()
                    .map(|choice| lua_type(root, choice, depth + 1)),
            );
        }
    }
    match schema.get("type") {
        Some(Value::String(kind)) => lua_type_named(root, schema, kind, depth),
        Some(Value::Array(kinds)) => union(
            kinds
                .iter()
                .filter_map(Value::as_str)
                .map(|kind| lua_type_named(root, schema, kind, depth)),
        ),
        _ => "any".into(),
    }
}

fn lua_type_named(root: &Value, schema: &Value, kind: &str, depth: usize) -> String {
    match kind {
        "null" => "nil".into(),
        "boolean" => "boolean".into(),
        "integer" => "integer".into(),
        "number" => "number".into(),
        "string" => "string".into(),
        "array" => match schema.get("items") {
            Some(items) if items.is_object() => {
                let item = lua_type(root, items, depth + 1);
                if item.contains('|') {
                    format!("({item})[]")
                } else {
                    format!("{item}[]")
                }
            }
            _ => "any[]".into(),
        },
        "object" => match schema.get("properties").and_then(Value::as_object) {
            Some(properties) if !properties.is_empty() => {
                let required = required_of(schema);
                let fields: Vec<String> = properties
                    .iter()
                    .map(|(field, field_schema)| {
                        let optional = if required.contains(&field.as_str()) {
                            ""
                        } else {
                            "?"
                        };
                        format!(
                            "{}{optional}: {}",
                            field_name(field),
                            lua_type(root, field_schema, depth + 1)
                        )
                    })
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
            _ => "table".into(),
        },
        _ => "any".into(),
    }
}

/// `a|b|c` without repeats; `nil` as a trailing `?` where it can.
fn union(types: impl Iterator<Item = String>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for lua_type in types {
        if !seen.contains(&lua_type) {
            seen.push(lua_type);
        }
    }
    let nullable = seen.iter().any(|t| t == "nil");
    seen.retain(|t| t != "nil");
    match (seen.as_slice(), nullable) {
        ([], _) => "nil".into(),
        ([one], true) if !one.contains('|') => format!("{one}?"),
        (_, true) => format!("{}|nil", seen.join("|")),
        (_, false) => seen.join("|"),
    }
}

/// A JSON literal as a LuaLS literal type.
fn literal(value: &Value) -> String {
    match value {
        Value::String(text) => lua_string(text),
        Value::Null => "nil".into(),
        other => other.to_string(),
    }
}

/// `text` as a double-quoted Lua string literal.
fn lua_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\{}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !LUA_KEYWORDS.contains(&name)
}

const LUA_KEYWORDS: [&str; 22] = [
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
    "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
];

/// A field name as LuaLS spells it: plain, or `["odd name"]`.
fn field_name(name: &str) -> String {
    if is_identifier(name) {
        name.to_string()
    } else {
        format!("[{}]", lua_string(name))
    }
}

/// A component name as a LuaLS class name (letters, digits, `_`, `.`).
fn lua_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.starts_with(|c: char| c.is_ascii_digit()) || cleaned.is_empty() {
        format!("_{cleaned}")
    } else {
        cleaned
    }
}

const HEADER: &str = r#"---@meta luabox
-- The Lua API of a luabox script, for lua-language-server (LuaLS).
-- Generated by `luabox types`: edit the scene or the component schemas, not
-- this file.

---An entity: an opaque integer (bevy's `Entity::to_bits`).
---@alias Entity integer

---The entity this script is attached to (nil when it has none).
---@type Entity?
entity = nil

-- Not in a luabox sandbox: standard Lua has them, a script does not.
os = nil
io = nil
package = nil
require = nil
dofile = nil
loadfile = nil
---@type { traceback: fun(message?: any, level?: integer): string }
debug = nil
string.dump = nil
"#;

/// The `ecs`, `task` and `log` libraries and the callbacks, with overloads
/// typed per component.
fn api<'a>(components: impl Iterator<Item = (&'a String, &'a String)> + Clone) -> String {
    let names: Vec<String> = components
        .clone()
        .map(|(name, _)| lua_string(name))
        .collect();
    let name_type = if names.is_empty() {
        "string".to_string()
    } else {
        names.join("|")
    };
    let mut get_overloads = String::new();
    let mut insert_overloads = String::new();
    for (name, class) in components {
        let literal = lua_string(name);
        let _ = writeln!(
            get_overloads,
            "---@overload fun(e: Entity, name: {literal}): {class}?"
        );
        let _ = writeln!(
            insert_overloads,
            "---@overload fun(e: Entity, name: {literal}, value: {class})"
        );
    }
    format!(
        r#"
---The world, as this script's permissions let it see it. Every call is
---checked; a refused one raises an error. Writes apply when the call
---returns (or waits) normally.
ecs = {{}}

---@alias ComponentName {name_type}

---Creates an entity with these components; returns it.
---@param components table<ComponentName, any>
---@return Entity
function ecs.spawn(components) end

---Removes the entity and its components.
---@param e Entity
function ecs.despawn(e) end

---Whether the entity exists.
---@param e Entity
---@return boolean
function ecs.exists(e) end

---The component's value, or nil when the entity lacks it.
{get_overloads}---@param e Entity
---@param name ComponentName
---@return any
function ecs.get(e, name) end

---Adds or replaces a component.
{insert_overloads}---@param e Entity
---@param name ComponentName
---@param value any
function ecs.insert(e, name, value) end

---Removes a component (nothing happens when it is absent).
---@param e Entity
---@param name ComponentName
function ecs.remove(e, name) end

---Whether the entity has the component.
---@param e Entity
---@param name ComponentName
---@return boolean
function ecs.has(e, name) end

---The entities with every named component and none in `without`.
---@param ... ComponentName|{{ without: ComponentName[] }}
---@return Entity[]
function ecs.query(...) end

---Iterates the entities with every named component, with their values.
---@param ... ComponentName
---@return fun(): Entity, ...
function ecs.each(...) end

---Queues an event for the next tick (needs the name in `emit`).
---@param name string
---@param payload? any
function ecs.emit(name, payload) end

---Waiting on game time (the sum of the ticks' dt).
task = {{}}

---Suspends the task until at least `seconds` of game time have passed,
---and at least until the next tick; returns the game time that passed.
---@param seconds? number
---@return number
function task.wait(seconds) end

---Runs `f(...)` now as a new task, until it ends or waits; returns its id.
---@param f function
---@param ... any
---@return integer
function task.spawn(f, ...) end

---Runs `f(...)` as a new task once `seconds` of game time have passed.
---@param seconds number
---@param f function
---@param ... any
---@return integer
function task.delay(seconds, f, ...) end

---Stops a task; returns whether it was alive.
---@param id integer
---@return boolean
function task.cancel(id) end

---The console (needs the `console` permission).
log = {{}}

---@param ... any
function log.info(...) end

---@param ... any
function log.warn(...) end

---@param ... any
function log.error(...) end

-- Callbacks a script may define. Each runs as a task, so it may wait.

---Called on the script's first tick.
function on_start() end

---Called every tick with the tick's dt, in seconds.
---@param dt number
function on_update(dt) end

---Called for each event the script receives (names in `receive`).
---@param name string
---@param payload any
---@param sender Entity? the emitting script's entity; nil for the engine
function on_event(name, payload, sender) end
"#
    )
}
