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

use crate::budget::HostWork;
use crate::msgpack;
use crate::permissions::Permissions;
use crate::registry::ComponentRegistry;
use crate::visibility::Visibility;
use crate::world::{Access, WorldCall};

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

/// Runs `calls` against a small world as one script call, then commits
/// (`commit`) or rolls back, checking the invariants.
pub fn ecs_calls(calls: &[EcsCall], commit: bool) {
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Position>("Position")
        .register::<Secret>("Secret")
        .register_json("Tag");
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
    assert!(events.len() <= crate::events::MAX_EVENTS_PER_SCRIPT_TICK);
    for event in &events {
        let name = &event.delivery.name;
        assert!(
            name == "ping" || name.is_empty(),
            "an unpermitted event: {name:?}"
        );
        assert!(
            event.delivery.payload.len() <= crate::events::MAX_EVENT_PAYLOAD_BYTES,
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
