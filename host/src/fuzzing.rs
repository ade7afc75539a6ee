//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; not part
//! of the supported API).
//!
//! [`ecs_calls`] plays a hostile guest: any sequence of ECS host calls with
//! any arguments, straight into one call's view of a world, then a commit or
//! a rollback. It panics (which the fuzzer reports) when an invariant breaks:
//! a rollback that changed the world, a resource a script reached, a committed
//! value that does not fit its component.

use std::collections::BTreeMap;
use std::sync::Arc;

use arbitrary::Arbitrary;
use bevy_ecs::entity_disabling::Disabled;
use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};

use crate::ecs::permissions::Permissions;
use crate::ecs::registry::ComponentRegistry;
use crate::ecs::visibility::Visibility;
use crate::ecs::world::{Access, WorldCall};
use crate::wasm::budget::HostWork;
use crate::wasm::msgpack;

/// One host call, with arguments as a guest could send them.
#[derive(Arbitrary, Debug)]
pub enum EcsCall {
    /// `ecs.spawn` with components as values.
    Spawn(Vec<(Name, Bytes)>),
    /// `ecs.despawn`.
    Despawn(Target),
    /// `ecs.exists`.
    Exists(Target),
    /// `ecs.get`.
    Get(Target, Name),
    /// `ecs.insert` with a value.
    Insert(Target, Name, Bytes),
    /// `ecs.remove`.
    Remove(Target, Name),
    /// `ecs.has`.
    Has(Target, Name),
    /// `ecs.query`.
    Query(Vec<Name>, Vec<Name>),
    /// `ecs.each`: open an iteration over these components and take pages.
    Each(Vec<Name>, Vec<u16>),
    /// `ecs.emit` with a name and a payload.
    Emit(String, Bytes),
}

/// A component value as a guest could send it: well-formed MessagePack made
/// from JSON text most of the time, any bytes otherwise.
#[derive(Arbitrary, Debug)]
pub enum Bytes {
    /// The MessagePack of this JSON text (its raw bytes if it is not JSON).
    Json(String),
    /// Any bytes at all.
    Raw(Vec<u8>),
}

impl Bytes {
    fn encoded(&self) -> Vec<u8> {
        match self {
            Bytes::Json(text) => {
                let mut out = Vec::new();
                match crate::JsonText::parse_text(text.clone()) {
                    Ok(json) if msgpack::from_json(&json, &mut out).is_ok() => out,
                    _ => text.as_bytes().to_vec(),
                }
            }
            Bytes::Raw(bytes) => bytes.clone(),
        }
    }
}

/// An entity argument: one the world has (or had) most of the time, raw
/// bits otherwise.
#[derive(Arbitrary, Debug)]
pub enum Target {
    /// The n-th known entity (modulo how many there are).
    Known(u8),
    /// Any bits at all.
    Raw(u64),
}

/// A component name: a registered one most of the time.
#[derive(Arbitrary, Debug)]
pub enum Name {
    /// `Position` (typed).
    Position,
    /// `Tag` (schema-less).
    Tag,
    /// `Secret` (typed, not permitted).
    Secret,
    /// Anything.
    Other(String),
}

impl Name {
    fn text(&self) -> &str {
        match self {
            Name::Position => "Position",
            Name::Tag => "Tag",
            Name::Secret => "Secret",
            Name::Other(text) => text,
        }
    }
}

#[derive(Component, Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
struct Position {
    x: f64,
    y: f64,
}

#[derive(Component, Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
struct Secret(u32);

#[derive(Resource)]
struct Treasure(u32);

/// Everything a call could change, for comparison.
fn state(world: &mut World, registry: &ComponentRegistry) -> BTreeMap<u64, String> {
    let entities: Vec<Entity> = world
        .query_filtered::<Entity, Without<bevy_ecs::resource::IsResource>>()
        .iter(world)
        .collect();
    entities
        .into_iter()
        .map(|entity| {
            let components = registry.components_of(world, entity);
            (entity.to_bits(), format!("{components:?}"))
        })
        .collect()
}

/// The components the fuzzed worlds know: `Position` (typed, permitted),
/// `Secret` (typed, never permitted) and `Tag` (schema-less).
fn registry() -> ComponentRegistry {
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Position>("Position")
        .register::<Secret>("Secret")
        .register_json("Tag");
    registry
}

/// Runs `calls` against a small world as one script call, then commits
/// (`commit`) or rolls back, checking the invariants.
pub fn ecs_calls(calls: &[EcsCall], commit: bool) {
    let mut world = World::new();
    let registry = registry();
    world.insert_resource(Treasure(7));
    let mut known: Vec<u64> = (0..4)
        .map(|i| {
            world
                .spawn((
                    Position {
                        x: f64::from(i),
                        y: 0.0,
                    },
                    Secret(i),
                ))
                .id()
                .to_bits()
        })
        .collect();
    let gone = world.spawn_empty().id();
    world.despawn(gone);
    known.push(gone.to_bits());
    // Entities scripts must never reach: an observer, a registered system, a
    // disabled entity (with a visible parent, so a despawn could cascade).
    let observer = world.add_observer(|_: On<Add<Position>>| {}).id();
    let system = world.register_system(|| {}).entity();
    let disabled = world.spawn((Position { x: 9.0, y: 9.0 }, Disabled)).id();
    let parent = world
        .spawn(Position { x: 8.0, y: 8.0 })
        .add_child(disabled)
        .id();
    let hidden = [observer, system, disabled];
    known.extend(hidden.iter().map(|entity| entity.to_bits()));
    known.push(parent.to_bits());
    let before = state(&mut world, &registry);

    let permissions = Permissions::default()
        .read(["Position", "Tag"])
        .write(["Position", "Tag"])
        .emit(["ping", ""])
        .spawn_and_despawn();
    let visibility = Visibility::of(&world, &registry);
    let mut call = WorldCall::new(world, registry.clone(), visibility);
    call.begin(
        Arc::new(permissions),
        Arc::from("fuzz.lua"),
        Some(known[0]),
        crate::Limits::default().write_bytes,
    );
    let mut work = HostWork::unlimited();
    let work = &mut work;
    let resolve =
        |call: &WorldCall, name: &Name| -> Option<Access> { call.resolve(name.text()).ok() };
    let pick = |known: &[u64], target: &Target| match target {
        Target::Known(n) => known[usize::from(*n) % known.len()],
        Target::Raw(bits) => *bits,
    };
    for request in calls {
        match request {
            EcsCall::Spawn(components) => {
                let components: Option<Vec<_>> = components
                    .iter()
                    .map(|(name, value)| Some((resolve(&call, name)?, value.encoded())))
                    .collect();
                if let Some(components) = components
                    && let Ok(entity) = call.spawn(components, work)
                {
                    known.push(entity);
                }
            }
            EcsCall::Despawn(target) => drop(call.despawn(pick(&known, target), work)),
            EcsCall::Exists(target) => drop(call.exists(pick(&known, target))),
            EcsCall::Get(target, name) => {
                if let Some(access) = resolve(&call, name)
                    && let Ok(Some(value)) = call.get(pick(&known, target), access, work)
                {
                    assert!(
                        msgpack::to_json(&value, usize::MAX).is_ok(),
                        "get returned a malformed value: {value:?}"
                    );
                }
            }
            EcsCall::Insert(target, name, value) => {
                if let Some(access) = resolve(&call, name) {
                    drop(call.insert(pick(&known, target), access, value.encoded(), work));
                }
            }
            EcsCall::Remove(target, name) => {
                if let Some(access) = resolve(&call, name) {
                    drop(call.remove(pick(&known, target), access));
                }
            }
            EcsCall::Has(target, name) => {
                if let Some(access) = resolve(&call, name) {
                    drop(call.has(pick(&known, target), access));
                }
            }
            EcsCall::Each(names, pages) => {
                let access: Option<Vec<Access>> =
                    names.iter().map(|name| resolve(&call, name)).collect();
                if let Some(access) = access
                    && let Ok(cursor) = call.each_open(&access, work)
                {
                    for max in pages {
                        let Ok(page) = call.each_next(cursor, u32::from(*max), work) else {
                            break;
                        };
                        for entity in page.entities {
                            assert!(call.exists(entity), "each returned a dead entity");
                            assert!(
                                !hidden.iter().any(|hidden| hidden.to_bits() == entity),
                                "each listed an entity scripts must not see"
                            );
                        }
                    }
                }
            }
            EcsCall::Emit(name, payload) => drop(call.emit(name.clone(), payload.encoded())),
            EcsCall::Query(with, without) => {
                let access = |list: &[Name]| -> Option<Vec<Access>> {
                    list.iter().map(|name| resolve(&call, name)).collect()
                };
                let (Some(with), Some(without)) = (access(with), access(without)) else {
                    continue;
                };
                if let Ok(found) = call.query(&with, &without, work) {
                    for entity in found {
                        assert!(call.exists(entity), "query returned a dead entity");
                        assert!(
                            !hidden.iter().any(|hidden| hidden.to_bits() == entity),
                            "query listed an entity scripts must not see"
                        );
                    }
                }
            }
        }
    }

    call.finish(commit);
    let events = call.take_events();
    if !commit {
        assert!(events.is_empty(), "a failed call's events were kept");
    }
    assert!(events.len() <= crate::ecs::events::MAX_EVENTS_PER_SCRIPT_TICK);
    for event in &events {
        let name = &event.delivery.name;
        assert!(
            name == "ping" || name.is_empty(),
            "an unpermitted event: {name:?}"
        );
        assert!(
            event.delivery.payload.len() <= crate::ecs::events::MAX_EVENT_PAYLOAD_BYTES,
            "an oversized payload was kept"
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(event.json.as_str()).is_ok(),
            "an event's payload is not JSON for the engine"
        );
    }
    let mut world = call.into_world();
    assert_eq!(
        world.get_resource::<Treasure>().map(|t| t.0),
        Some(7),
        "a resource was reached"
    );
    for entity in hidden {
        assert!(
            world.get_entity(entity).is_ok(),
            "an entity scripts must not see was despawned"
        );
    }
    let secrets = world.query::<&Secret>().iter(&world).count();
    if !commit {
        assert_eq!(
            before,
            state(&mut world, &registry),
            "a rollback changed the world"
        );
        assert_eq!(secrets, 4);
    }
}

/// A function luabox adds to Lua.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ApiFunction {
    /// `ecs.spawn`
    Spawn,
    /// `ecs.despawn`
    Despawn,
    /// `ecs.exists`
    Exists,
    /// `ecs.get`
    Get,
    /// `ecs.insert`
    Insert,
    /// `ecs.remove`
    Remove,
    /// `ecs.has`
    Has,
    /// `ecs.query`
    Query,
    /// `ecs.each`, its iterator stepped up to three times.
    Each,
    /// `ecs.emit`
    Emit,
    /// `task.wait`
    Wait,
    /// `task.spawn`
    TaskSpawn,
    /// `task.delay`
    Delay,
    /// `task.cancel`
    Cancel,
    /// `log.info`
    Info,
    /// `log.warn`
    Warn,
    /// `log.error`
    LogError,
    /// `print`
    Print,
}

impl ApiFunction {
    fn lua(self) -> &'static str {
        match self {
            ApiFunction::Spawn => "ecs.spawn",
            ApiFunction::Despawn => "ecs.despawn",
            ApiFunction::Exists => "ecs.exists",
            ApiFunction::Get => "ecs.get",
            ApiFunction::Insert => "ecs.insert",
            ApiFunction::Remove => "ecs.remove",
            ApiFunction::Has => "ecs.has",
            ApiFunction::Query => "ecs.query",
            ApiFunction::Each => "step_each",
            ApiFunction::Emit => "ecs.emit",
            ApiFunction::Wait => "task.wait",
            ApiFunction::TaskSpawn => "task.spawn",
            ApiFunction::Delay => "task.delay",
            ApiFunction::Cancel => "task.cancel",
            ApiFunction::Info => "log.info",
            ApiFunction::Warn => "log.warn",
            ApiFunction::LogError => "log.error",
            ApiFunction::Print => "print",
        }
    }
}

/// Where a call is made from.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The main chunk.
    Main,
    /// A coroutine the main chunk makes.
    MainCoroutine,
    /// `on_start`.
    Start,
    /// `on_update`.
    Update,
    /// `on_event`.
    Event,
    /// A task `on_update` spawns.
    Task,
    /// A fresh coroutine `on_update` makes (its stack starts small).
    Coroutine,
}

impl Context {
    const ALL: [Context; 7] = [
        Context::Main,
        Context::MainCoroutine,
        Context::Start,
        Context::Update,
        Context::Event,
        Context::Task,
        Context::Coroutine,
    ];

    fn list(self) -> &'static str {
        match self {
            Context::Main => "in_main",
            Context::MainCoroutine => "in_main_coroutine",
            Context::Start => "in_start",
            Context::Update => "in_update",
            Context::Event => "in_event",
            Context::Task => "in_task",
            Context::Coroutine => "in_coroutine",
        }
    }
}

/// An argument, as a Lua expression.
#[derive(Arbitrary, Debug)]
pub enum Argument {
    /// `nil`
    Nil,
    /// `true` or `false`
    Boolean(bool),
    /// An integer.
    Integer(i64),
    /// A float (NaN and infinities too).
    Float(f64),
    /// A string of any bytes.
    Text(Vec<u8>),
    /// A component name.
    Name(Name),
    /// The script's own entity.
    OwnEntity,
    /// A table with a field.
    Table(Name, i64),
    /// A table nested this deep.
    Nested(u8),
    /// A function.
    Function,
    /// A coroutine.
    Coroutine,
}

impl Argument {
    fn lua(&self) -> String {
        match self {
            Argument::Nil => "nil".into(),
            Argument::Boolean(value) => value.to_string(),
            Argument::Integer(i64::MIN) => "math.mininteger".into(),
            Argument::Integer(value) => value.to_string(),
            Argument::Float(value) if value.is_nan() => "(0/0)".into(),
            Argument::Float(value) if value.is_infinite() => {
                if *value > 0.0 { "(1/0)" } else { "(-1/0)" }.into()
            }
            Argument::Float(value) => format!("{value:e}"),
            Argument::Text(bytes) => lua_string(bytes),
            Argument::Name(name) => lua_string(name.text().as_bytes()),
            Argument::OwnEntity => "entity".into(),
            Argument::Table(name, value) => {
                format!("{{[{}] = {value}}}", lua_string(name.text().as_bytes()))
            }
            Argument::Nested(depth) => {
                let depth = usize::from(*depth % 64);
                format!("{}{}", "{".repeat(depth), "}".repeat(depth))
            }
            Argument::Function => "function() end".into(),
            Argument::Coroutine => "coroutine.create(function() end)".into(),
        }
    }
}

/// `bytes` as a Lua string literal.
fn lua_string(bytes: &[u8]) -> String {
    let mut literal = String::from("\"");
    for byte in bytes.iter().take(256) {
        literal.push_str(&format!("\\{byte}"));
    }
    literal.push('"');
    literal
}

/// One call: a function, where it is made from, and its arguments: the
/// pattern repeated to `count` values (0 to 2,000).
#[derive(Arbitrary, Debug)]
pub struct ApiCall {
    /// The function.
    pub function: ApiFunction,
    /// Where it is called from.
    pub context: Context,
    /// The arguments' pattern (empty: nils).
    pub pattern: Vec<Argument>,
    /// How many arguments (taken modulo 2,001).
    pub count: u16,
}

impl ApiCall {
    fn lua(&self) -> String {
        let count = usize::from(self.count) % 2_001;
        let pattern: Vec<String> = self.pattern.iter().take(8).map(Argument::lua).collect();
        format!(
            "function() local p = {{{}}} local n = {} local args = {{}} \
             for i = 1, {count} do args[i] = n > 0 and p[(i - 1) % n + 1] or nil end \
             pcall({}, table.unpack(args, 1, {count})) end",
            pattern.join(", "),
            pattern.len(),
            self.function.lua(),
        )
    }
}

/// Runs `calls` in a script attached to an entity of a small world, each
/// from its context, for three ticks. Panics (which the fuzzer reports) when
/// the script ends in a trap that is not a limit: a broken invariant of the
/// interpreter (Lua's API checks trap), a malformed crossing, a guest panic.
pub fn lua_api_calls(engine: &crate::ScriptEngine, calls: &[ApiCall]) {
    use crate::ecs::{ScriptManager, ScriptRunner};
    let mut source = String::from(
        "local function step_each(...) local step = ecs.each(...) \
         for _ = 1, 3 do if step() == nil then break end end end\n",
    );
    for context in Context::ALL {
        source.push_str(&format!("local {} = {{}}\n", context.list()));
    }
    for call in calls.iter().take(64) {
        source.push_str(&format!(
            "{}[#{} + 1] = {}\n",
            call.context.list(),
            call.context.list(),
            call.lua()
        ));
    }
    source.push_str(
        "local function run(list) for _, f in ipairs(list) do f() end end\n\
         run(in_main)\n\
         coroutine.wrap(run)(in_main_coroutine)\n\
         function on_start() run(in_start) end\n\
         function on_update()\n\
           run(in_update)\n\
           task.spawn(run, in_task)\n\
           coroutine.wrap(run)(in_coroutine)\n\
           ecs.emit('Ping', 1)\n\
         end\n\
         function on_event() run(in_event) end\n",
    );
    let mut world = World::new();
    world.insert_resource(registry());
    let mut manager = ScriptManager::new(engine.clone());
    manager.set_max_violations(u32::MAX);
    world.insert_resource(manager);
    for i in 0..4 {
        world.spawn((
            Position {
                x: f64::from(i),
                y: 0.0,
            },
            Secret(i),
        ));
    }
    let own = world.spawn(Position { x: 0.0, y: 0.0 }).id();
    let config = crate::ScriptConfig::default().with_limits(
        crate::Limits::default()
            .with_fuel(200_000_000)
            .with_memory(32 << 20)
            .with_timeout(std::time::Duration::from_millis(2_000)),
    );
    let permissions = Permissions::default()
        .read(["Position", "Tag"])
        .write(["Position", "Tag"])
        .emit(["Ping", "Position"])
        .receive(["Ping", "Position"])
        .spawn_and_despawn();
    let loaded = ScriptRunner::attach(&mut world, own, "api.lua", source, config, permissions);
    let broke = |error: &crate::ScriptError| {
        matches!(
            error.kind(),
            crate::ErrorKind::Security | crate::ErrorKind::Engine
        )
    };
    match loaded {
        Ok(id) => {
            for _ in 0..3 {
                ScriptRunner::tick(&mut world, 0.1);
            }
            let manager = world.resource::<ScriptManager>();
            let errors = manager.errors(id).unwrap_or(&[]);
            if let Some(error) = errors.iter().find(|error| broke(error)) {
                panic!("an API call broke the sandbox: {error:?}");
            }
        }
        Err(error) => assert!(!broke(&error), "an API call broke the sandbox: {error:?}"),
    }
}
