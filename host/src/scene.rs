//! Scenes: a world described in JSON, its scripts run for some ticks, and the
//! report of what happened. The same report describes a single script's run.
//! This is what `luabox run --json` prints and what the editor preview's
//! `POST /api/run` returns.
//!
//! ```
//! use luabox::{Scene, SceneScript, ScriptConfig, ScriptEngine};
//!
//! let scene = Scene::parse(r#"{"entities": [
//!     {"name": "counter", "components": {"Count": 0},
//!      "source": "function on_update() ecs.insert(entity, 'Count', ecs.get(entity, 'Count') + 1) end",
//!      "permissions": {"read": ["Count"], "write": ["Count"]}}
//! ]}"#).map_err(|message| luabox::ScriptError::Engine { message })?;
//! let scripts = scene.inline_scripts();
//! let report = scene.run(ScriptEngine::new(Default::default())?, scripts, &ScriptConfig::default(), 3, 1.0 / 60.0);
//! assert_eq!(report.status, "ok");
//! let world = report.world.expect("a scene report has the world");
//! assert_eq!(world.entities[0].components["Count"].as_str(), "3");
//! # Ok::<(), luabox::ScriptError>(())
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::ScriptConfig;
use crate::console::{ConsoleMessage, ScriptConsole};
use crate::engine::ScriptEngine;
use crate::error::{Limit, ScriptError};
use crate::json_text::JsonText;
use crate::manager::{ScriptId, ScriptManager, ScriptStatus};
use crate::permissions::Permissions;
use crate::registry::{ComponentRegistry, JsonComponents};
use crate::system::ScriptSystem;
use crate::visibility::Visibility;

/// The most console lines a report keeps (later ones are counted in
/// [`RunReport::output_dropped`]).
pub const MAX_REPORT_LINES: usize = 10_000;
/// The most bytes of console text a report keeps.
pub const MAX_REPORT_OUTPUT_BYTES: usize = 1 << 20;
/// The most bytes of component values the world in a report holds (later
/// entities are counted in [`WorldReport::entities_omitted`]).
pub const MAX_REPORT_WORLD_BYTES: usize = 8 << 20;

/// A scene: entities with schema-less components and optional scripts.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// The entities, spawned in this order.
    pub entities: Vec<SceneEntity>,
}

/// One entity of a [`Scene`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SceneEntity {
    /// A name for reports (scripts do not see it).
    #[serde(default)]
    pub name: Option<String>,
    /// Components by name, any JSON (kept as text).
    #[serde(default)]
    pub components: BTreeMap<String, JsonText>,
    /// A Lua file for this entity, relative to the scene file (the CLI reads
    /// it; [`Scene::inline_scripts`] does not).
    #[serde(default)]
    pub script: Option<String>,
    /// The entity's Lua source, inline.
    #[serde(default)]
    pub source: Option<String>,
    /// What the entity's script may do. Default: console only.
    #[serde(default)]
    pub permissions: Permissions,
}

/// A script to attach to a scene entity: its name and source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SceneScript {
    /// The name errors and reports use (a file name, usually).
    pub name: String,
    /// The Lua source.
    pub source: Vec<u8>,
}

/// What a run produced: the object `luabox run --json` prints. Every part is
/// bounded: console lines ([`MAX_REPORT_LINES`], [`MAX_REPORT_OUTPUT_BYTES`]),
/// errors (the last [`MAX_KEPT_ERRORS`](crate::MAX_KEPT_ERRORS) per script,
/// each cut to [`MAX_ERROR_MESSAGE_BYTES`](crate::MAX_ERROR_MESSAGE_BYTES)),
/// the result ([`Limits::output_bytes`](crate::Limits::output_bytes)) and the
/// world ([`MAX_REPORT_WORLD_BYTES`]).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunReport {
    /// `"ok"`, or `"error"` if the script (or any scene script) failed.
    pub status: &'static str,
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
}

/// An error in a report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ErrorReport {
    /// [`ScriptError::kind`].
    pub kind: &'static str,
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

/// Console lines for a report, bounded in lines and bytes.
#[derive(Default)]
struct ReportLines {
    lines: Vec<String>,
    bytes: usize,
    dropped: u64,
}

impl ReportLines {
    /// Adds one message's lines, as many as still fit.
    fn push(&mut self, text: &str) {
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

    fn extend<'a>(&mut self, messages: impl IntoIterator<Item = &'a ConsoleMessage>) {
        for message in messages {
            self.push(&message.text);
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
    /// `Entity::to_bits`, as scripts see it.
    pub id: u64,
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
    /// Its entity.
    pub entity: u64,
    /// `"ok"`, `"error"` or `"disabled"`.
    pub status: &'static str,
    /// Its last errors, oldest first (see [`MAX_KEPT_ERRORS`](crate::MAX_KEPT_ERRORS)).
    pub errors: Vec<ErrorReport>,
    /// Errors older than those, not kept.
    pub errors_dropped: u64,
    /// Fuel it used over all ticks (only in ticks it ran).
    pub fuel_used: u64,
    /// Whether `fuel_used` counts everything (see [`RunReport::fuel_used_exact`]).
    pub fuel_used_exact: bool,
}

/// The scene's name for an entity (not visible to scripts).
#[derive(Component)]
struct SceneName(String);

/// Runs `source` as `name` in a fresh sandbox and reports it.
///
/// ```
/// let engine = luabox::ScriptEngine::new(Default::default())?;
/// let report = luabox::run_script(&engine, "hi.lua", "print('hi') return 42", &Default::default());
/// assert_eq!(report.output, vec!["hi".to_string()]);
/// assert_eq!(report.result.as_str(), "42");
/// # Ok::<(), luabox::ScriptError>(())
/// ```
pub fn run_script(
    engine: &ScriptEngine,
    name: &str,
    source: impl AsRef<[u8]>,
    config: &ScriptConfig,
) -> RunReport {
    let mut output = ReportLines::default();
    let (outcome, fuel_used, fuel_used_exact, memory_peak_bytes) =
        match engine.instantiate(name, config) {
            Ok(mut script) => {
                let outcome = script.run_json(source);
                output.extend(&script.take_output());
                (
                    outcome,
                    script.fuel_used(),
                    script.fuel_used_exact(),
                    script.memory_peak_bytes(),
                )
            }
            Err(error) => (Err(error), 0, true, 0),
        };
    let (result, error) = match outcome {
        Ok(value) => (value, None),
        Err(error) => (JsonText::null(), Some(ErrorReport::from(&error))),
    };
    RunReport {
        status: if error.is_none() { "ok" } else { "error" },
        output: output.lines,
        output_dropped: output.dropped,
        result,
        error,
        fuel_used,
        fuel_used_exact,
        memory_peak_bytes,
        ticks: None,
        world: None,
        scripts: None,
    }
}

impl Scene {
    /// Parses a scene; the error names the JSON path and what was expected,
    /// e.g. ``at `entities[0].components`: invalid type: ...``.
    pub fn parse(text: &str) -> Result<Scene, String> {
        let mut json = serde_json::Deserializer::from_str(text);
        let scene: Scene = serde_path_to_error::deserialize(&mut json)
            .map_err(|error| format!("at `{}`: {}", error.path(), error.inner()))?;
        json.end().map_err(|error| error.to_string())?;
        for (index, entity) in scene.entities.iter().enumerate() {
            if entity.script.is_some() && entity.source.is_some() {
                return Err(format!(
                    "at `entities[{index}]`: give `script` or `source`, not both"
                ));
            }
        }
        Ok(scene)
    }

    /// The entities' inline sources (`source`), named after the entity;
    /// entities with a `script` path get none.
    pub fn inline_scripts(&self) -> Vec<Option<SceneScript>> {
        self.entities
            .iter()
            .enumerate()
            .map(|(index, entity)| {
                entity.source.as_ref().map(|source| SceneScript {
                    name: match &entity.name {
                        Some(name) => format!("{name}.lua"),
                        None => format!("entity{index}.lua"),
                    },
                    source: source.clone().into_bytes(),
                })
            })
            .collect()
    }

    /// Spawns the scene in a new world, attaches `scripts` (one slot per
    /// entity, see [`Scene::inline_scripts`]) with `config`, runs `ticks`
    /// ticks of `dt` seconds and reports. Every component name the scene
    /// uses or permits is registered schema-less.
    pub fn run(
        self,
        engine: ScriptEngine,
        scripts: Vec<Option<SceneScript>>,
        config: &ScriptConfig,
        ticks: u64,
        dt: f64,
    ) -> RunReport {
        self.run_until(engine, scripts, config, ticks, dt, None)
    }

    /// [`Scene::run`] within a wall-time budget: the run stops between two
    /// calls once `wall_time` has passed (so it ends at most one call's
    /// timeout later), and the report says so as an error of kind
    /// `timeout`.
    pub fn run_within(
        self,
        engine: ScriptEngine,
        scripts: Vec<Option<SceneScript>>,
        config: &ScriptConfig,
        ticks: u64,
        dt: f64,
        wall_time: Duration,
    ) -> RunReport {
        let deadline = Instant::now() + wall_time;
        let mut report = self.run_until(engine, scripts, config, ticks, dt, Some(deadline));
        if report.ticks.is_some_and(|ran| ran < ticks) {
            report.status = "error";
            report.error = Some(ErrorReport {
                kind: Limit::Timeout.as_str(),
                message: format!(
                    "the run passed its wall-time budget of {wall_time:?} after {} of {ticks} ticks",
                    report.ticks.unwrap_or(0)
                ),
                line: None,
                traceback: None,
            });
        }
        report
    }

    fn run_until(
        self,
        engine: ScriptEngine,
        scripts: Vec<Option<SceneScript>>,
        config: &ScriptConfig,
        ticks: u64,
        dt: f64,
        deadline: Option<Instant>,
    ) -> RunReport {
        let mut world = World::new();
        let mut registry = ComponentRegistry::default();
        for entity in &self.entities {
            let permitted = entity
                .permissions
                .read
                .iter()
                .chain(&entity.permissions.write);
            for name in entity.components.keys().chain(permitted) {
                registry.register_json(name);
            }
        }
        world.insert_resource(registry);
        world.insert_resource(ScriptManager::new(engine));

        let mut attached: Vec<(String, Entity, Result<ScriptId, ScriptError>)> = Vec::new();
        for (entity, script) in self.entities.into_iter().zip(scripts) {
            let mut spawned = world.spawn(JsonComponents(entity.components));
            if let Some(name) = entity.name {
                spawned.insert(SceneName(name));
            }
            let id = spawned.id();
            if let Some(script) = script {
                let loaded = ScriptSystem::attach(
                    &mut world,
                    id,
                    &script.name,
                    script.source,
                    config.clone(),
                    entity.permissions,
                );
                attached.push((script.name, id, loaded));
            }
        }

        let mut fuel: BTreeMap<ScriptId, (u64, bool)> = BTreeMap::new();
        let mut output = ReportLines::default();
        let mut ticks_run = 0;
        for _ in 0..ticks {
            let finished = ScriptSystem::tick_until(&mut world, dt, deadline);
            let manager = world.resource::<ScriptManager>();
            for id in manager.ids() {
                let (used, exact) = fuel.entry(id).or_insert((0, true));
                *used += manager.fuel_used(id);
                *exact &= manager.fuel_used_exact(id);
            }
            if let Some(mut console) = world.get_resource_mut::<ScriptConsole>() {
                for entry in console.drain() {
                    output.push(&entry.text);
                }
            }
            if !finished {
                break;
            }
            ticks_run += 1;
        }
        let console_dropped = world
            .get_resource::<ScriptConsole>()
            .map_or(0, ScriptConsole::dropped);

        let manager = world.resource::<ScriptManager>();
        let scripts: Vec<ScriptReport> = attached
            .iter()
            .map(|(name, entity, loaded)| match loaded {
                Ok(id) => ScriptReport {
                    name: name.clone(),
                    entity: entity.to_bits(),
                    status: match manager.status(*id) {
                        Some(ScriptStatus::Disabled { .. }) => "disabled",
                        _ if !manager.errors(*id).is_empty() => "error",
                        _ => "ok",
                    },
                    errors: manager.errors(*id).iter().map(ErrorReport::from).collect(),
                    errors_dropped: manager.errors_dropped(*id),
                    fuel_used: fuel.get(id).map_or(0, |(used, _)| *used),
                    fuel_used_exact: fuel.get(id).is_none_or(|(_, exact)| *exact),
                },
                Err(error) => ScriptReport {
                    name: name.clone(),
                    entity: entity.to_bits(),
                    status: "error",
                    errors: vec![ErrorReport::from(error)],
                    errors_dropped: 0,
                    // A load that ran out of fuel used all of it.
                    fuel_used: if error.kind() == "fuel" {
                        config.limits.fuel
                    } else {
                        0
                    },
                    // A failed load's fuel is not kept, but what ran out.
                    fuel_used_exact: error.kind() == "fuel",
                },
            })
            .collect();
        let memory_peak_bytes = attached
            .iter()
            .filter_map(|(_, _, loaded)| loaded.as_ref().ok())
            .map(|id| manager.memory_peak_bytes(*id))
            .max()
            .unwrap_or(0);
        RunReport {
            status: if scripts.iter().all(|script| script.status == "ok") {
                "ok"
            } else {
                "error"
            },
            output: output.lines,
            output_dropped: output.dropped.saturating_add(console_dropped),
            result: JsonText::null(),
            error: None,
            fuel_used: scripts.iter().map(|script| script.fuel_used).sum(),
            fuel_used_exact: scripts.iter().all(|script| script.fuel_used_exact),
            memory_peak_bytes,
            ticks: Some(ticks_run),
            world: Some(world_report(&mut world)),
            scripts: Some(scripts),
        }
    }
}

/// Every entity scripts can see with its components, in id order, as many
/// as fit in [`MAX_REPORT_WORLD_BYTES`].
fn world_report(world: &mut World) -> WorldReport {
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
        let components = registry.texts_of(world, entity);
        let name = world.get::<SceneName>(entity).map(|name| name.0.clone());
        let size = components
            .iter()
            .map(|(name, value)| name.len() + value.as_str().len())
            .sum::<usize>()
            + name.as_ref().map_or(0, String::len);
        if bytes.saturating_add(size) > MAX_REPORT_WORLD_BYTES {
            report.entities_omitted += 1;
            continue;
        }
        bytes += size;
        report.entities.push(EntityReport {
            id: entity.to_bits(),
            name,
            components,
        });
    }
    report
}
