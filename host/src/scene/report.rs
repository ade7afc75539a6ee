//! What a run produced: the report `luabox run --json` prints and the editor
//! preview's `POST /api/run` returns, for one script ([`run_script`](crate::scene::run_script)) or a
//! scene ([`Scene::run`](crate::scene::Scene::run)). Every part of it is
//! bounded.

use std::collections::BTreeMap;

use bevy_ecs::prelude::*;
use serde::Serialize;

use crate::ecs::registry::ComponentRegistry;
use crate::ecs::visibility::Visibility;
use crate::sandbox::console::ConsoleMessage;
use crate::sandbox::error::{ErrorKind, ScriptError};
use crate::sandbox::json_text::JsonText;

/// The most console lines a report keeps (later ones are counted in
/// [`RunReport::output_dropped`]).
pub const MAX_REPORT_LINES: usize = 10_000;
/// The most bytes of console text a report keeps.
pub const MAX_REPORT_OUTPUT_BYTES: usize = 1 << 20;
/// The most bytes of component values the world in a report holds (later
/// entities are counted in [`WorldReport::entities_omitted`]).
pub const MAX_REPORT_WORLD_BYTES: usize = 8 << 20;

/// The most ticks a scene report describes one by one: its `timeline` holds
/// the last ones.
pub const MAX_REPORT_TICKS: usize = 1_000;
/// The most events one tick of the timeline lists (the rest are counted).
pub const MAX_REPORT_EVENTS_PER_TICK: usize = 16;

/// How a run, or one scene script, ended (in JSON, its lowercase name).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ReportStatus {
    /// Nothing failed.
    Ok,
    /// The script (or a scene script) failed, or the run was cut short.
    Error,
    /// A scene script that was disabled (see [`ScriptReport::disabled`]).
    Disabled,
}

/// What a run produced: the object `luabox run --json` prints. Every part is
/// bounded: console lines ([`MAX_REPORT_LINES`], [`MAX_REPORT_OUTPUT_BYTES`]),
/// errors (the last [`MAX_KEPT_ERRORS`](crate::ecs::MAX_KEPT_ERRORS) per
/// script, each cut to [`MAX_ERROR_MESSAGE_BYTES`](crate::MAX_ERROR_MESSAGE_BYTES)),
/// the result ([`Limits::output_bytes`](crate::Limits::output_bytes)) and the
/// world ([`MAX_REPORT_WORLD_BYTES`]).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunReport {
    /// [`ReportStatus::Ok`], or [`ReportStatus::Error`] if the script (or
    /// any scene script) failed.
    pub status: ReportStatus,
    /// Console lines, in order (each message split at its newlines).
    pub output: Vec<String>,
    /// Console lines (or messages) not kept in `output`: past the report's
    /// caps, or dropped by the world's console.
    pub output_dropped: u64,
    /// What a single script's chunk returned (`null` for scenes).
    pub result: JsonText,
    /// A single script's error; for a scene, why the run stopped early.
    pub error: Option<ErrorReport>,
    /// Fuel used (a scene: by all scripts over all ticks).
    pub fuel_used: u64,
    /// Whether `fuel_used` counts everything: false when a call was stopped
    /// by its timeout, whose last stretch of fuel wasmtime does not count
    /// (`fuel_used` is then a lower bound).
    pub fuel_used_exact: bool,
    /// The largest linear memory any script reached, in bytes.
    pub memory_peak_bytes: usize,
    /// How many ticks ran (scenes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticks: Option<u64>,
    /// The world after the last tick (scenes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world: Option<WorldReport>,
    /// Each scene script's outcome (scenes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scripts: Option<Vec<ScriptReport>>,
    /// Tick by tick (scenes only; the last [`MAX_REPORT_TICKS`]): the tasks
    /// waiting and the events delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TickReport>>,
}

/// One tick of a scene run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TickReport {
    /// The tick (the first is 1).
    pub tick: u64,
    /// Game time after it, in seconds.
    pub time: f64,
    /// Tasks waiting after it, all scripts together.
    pub tasks_waiting: u64,
    /// The events delivered in it (those scripts emitted in the tick
    /// before), in order: the first [`MAX_REPORT_EVENTS_PER_TICK`]. Each
    /// went to every script that receives it, except a script past its
    /// tick's share of fuel and time (its error counts what it missed) or
    /// one disabled or ended meanwhile.
    pub events_delivered: Vec<EventReport>,
    /// Events delivered but not listed.
    pub events_omitted: u64,
}

/// An event in a report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EventReport {
    /// Its name.
    pub name: String,
    /// The emitting script.
    pub script: String,
    /// The emitting script's entity (in JSON, its `Entity::to_bits`).
    #[serde(serialize_with = "crate::ecs::entity_bits::serialize_option")]
    pub sender: Option<Entity>,
}

/// An error in a report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ErrorReport {
    /// [`ScriptError::kind`] (in JSON, its lowercase name).
    pub kind: ErrorKind,
    /// The message.
    pub message: String,
    /// The Lua line, if known.
    pub line: Option<u32>,
    /// Lua's traceback, if any.
    pub traceback: Option<String>,
}

impl From<&ScriptError> for ErrorReport {
    fn from(error: &ScriptError) -> Self {
        ErrorReport {
            kind: error.kind(),
            message: error.message(),
            line: error.line(),
            traceback: error.traceback().map(str::to_string),
        }
    }
}

/// The world in a report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WorldReport {
    /// Every entity a script could see, in id order (as many as fit in
    /// [`MAX_REPORT_WORLD_BYTES`]).
    pub entities: Vec<EntityReport>,
    /// Entities left out because the report was full.
    pub entities_omitted: u64,
}

/// One entity in a report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EntityReport {
    /// The entity (in JSON, its `Entity::to_bits`, as scripts see it).
    #[serde(serialize_with = "crate::ecs::entity_bits::serialize")]
    pub id: Entity,
    /// The scene's name for it, if any.
    pub name: Option<String>,
    /// Its components by name.
    pub components: BTreeMap<String, JsonText>,
}

/// One scene script's outcome.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ScriptReport {
    /// The script's name.
    pub name: String,
    /// Its entity (in JSON, its `Entity::to_bits`).
    #[serde(serialize_with = "crate::ecs::entity_bits::serialize")]
    pub entity: Entity,
    /// How it ended.
    pub status: ReportStatus,
    /// Why it was disabled, when it was (e.g. `3 permission violations (the
    /// limit is 3)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<String>,
    /// Its last errors, oldest first (see [`MAX_KEPT_ERRORS`](crate::ecs::MAX_KEPT_ERRORS)).
    pub errors: Vec<ErrorReport>,
    /// Errors older than those, not kept.
    pub errors_dropped: u64,
    /// Fuel it used over all ticks (only in ticks it ran).
    pub fuel_used: u64,
    /// Whether `fuel_used` counts everything (see [`RunReport::fuel_used_exact`]).
    pub fuel_used_exact: bool,
}

/// Console lines for a report, bounded in lines and bytes.
#[derive(Default)]
pub(crate) struct ReportLines {
    pub(crate) lines: Vec<String>,
    bytes: usize,
    pub(crate) dropped: u64,
}

impl ReportLines {
    /// Adds one message's lines, as many as still fit.
    pub(crate) fn push(&mut self, text: &str) {
        for line in text.split('\n') {
            if self.lines.len() >= MAX_REPORT_LINES
                || self.bytes.saturating_add(line.len()) > MAX_REPORT_OUTPUT_BYTES
            {
                self.dropped = self.dropped.saturating_add(1);
                continue;
            }
            self.bytes += line.len();
            self.lines.push(line.to_string());
        }
    }

    pub(crate) fn extend<'a>(&mut self, messages: impl IntoIterator<Item = &'a ConsoleMessage>) {
        for message in messages {
            self.push(&message.text);
        }
    }
}

/// The scene's name for an entity (not visible to scripts).
#[derive(Component)]
pub(crate) struct SceneName(pub(crate) String);

/// What an entity in a report takes on top of its name and components (its
/// id and the JSON around them, `{"id":…,"name":…,"components":{}}`), so an
/// entity with nothing in it still counts.
const ENTITY_OVERHEAD_BYTES: usize = 64;
/// What a component takes on top of its name and value (quotes, colon,
/// comma).
const COMPONENT_OVERHEAD_BYTES: usize = 4;

/// Every entity scripts can see with its components, in id order, as many
/// as fit in [`MAX_REPORT_WORLD_BYTES`] (every entity counts, empty ones
/// too); the rest are counted.
pub(crate) fn world_report(world: &mut World) -> WorldReport {
    let registry = world.resource::<ComponentRegistry>().clone();
    let visibility = Visibility::of(world, &registry);
    let mut entities: Vec<Entity> = visibility.visible_entities(world).collect();
    entities.sort_by_key(|entity| (entity.index(), entity.generation().to_bits()));
    let mut report = WorldReport {
        entities: Vec::new(),
        entities_omitted: 0,
    };
    let mut bytes = 0usize;
    for entity in entities {
        if MAX_REPORT_WORLD_BYTES - bytes < ENTITY_OVERHEAD_BYTES {
            // Full: no entity fits any more.
            report.entities_omitted += 1;
            continue;
        }
        let components = registry.texts_of(world, entity);
        let name = world.get::<SceneName>(entity).map(|name| name.0.clone());
        let size = components
            .iter()
            .map(|(name, value)| name.len() + value.as_str().len() + COMPONENT_OVERHEAD_BYTES)
            .sum::<usize>()
            + name.as_ref().map_or(0, String::len)
            + ENTITY_OVERHEAD_BYTES;
        if bytes.saturating_add(size) > MAX_REPORT_WORLD_BYTES {
            report.entities_omitted += 1;
            continue;
        }
        bytes += size;
        report.entities.push(EntityReport {
            id: entity,
            name,
            components,
        });
    }
    report
}
