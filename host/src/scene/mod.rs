//! Scenes: a world described in JSON, its scripts run for some ticks, and the
//! report of what happened ([`RunReport`], which also describes a single
//! script's run: [`run_script`]). This is what `luabox run --json` prints
//! and what the editor preview's `POST /api/run` returns.
//!
//! ```
//! use luabox::scene::Scene;
//! use luabox::{ScriptConfig, ScriptEngine};
//!
//! let scene = Scene::parse(r#"{"entities": [
//!     {"name": "counter", "components": {"Count": 0},
//!      "source": "function on_update() ecs.insert(entity, 'Count', ecs.get(entity, 'Count') + 1) end",
//!      "permissions": {"read": ["Count"], "write": ["Count"]}}
//! ]}"#).map_err(|error| luabox::ScriptError::Engine { message: error.to_string() })?;
//! let report = scene.run(ScriptEngine::new(Default::default())?, &ScriptConfig::default(), 3, 1.0 / 60.0);
//! assert_eq!(report.status, luabox::scene::ReportStatus::Ok);
//! let world = report.world.expect("a scene report has the world");
//! assert_eq!(world.entities[0].components["Count"].as_str(), "3");
//! # Ok::<(), luabox::ScriptError>(())
//! ```

pub(crate) mod annotations;
pub(crate) mod report;
mod run_script;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy_ecs::prelude::*;
use serde::Deserialize;

use crate::ecs::events::EmittedEvents;
use crate::ecs::log::ScriptConsole;
use crate::ecs::manager::{ScriptId, ScriptManager, ScriptStatus};
use crate::ecs::permissions::Permissions;
use crate::ecs::registry::{ComponentRegistry, JsonComponents};
use crate::ecs::runner::{ScriptClock, ScriptRunner};
use crate::sandbox::config::ScriptConfig;
use crate::sandbox::engine::ScriptEngine;
use crate::sandbox::error::{ErrorKind, Limit, ScriptError};
use crate::sandbox::json_text::JsonText;
use crate::scene::annotations::Annotations;
use crate::scene::report::{ReportLines, SceneName, world_report};

pub use crate::scene::report::{
    EntityReport, ErrorReport, EventReport, MAX_REPORT_EVENTS_PER_TICK, MAX_REPORT_LINES,
    MAX_REPORT_OUTPUT_BYTES, MAX_REPORT_TICKS, MAX_REPORT_WORLD_BYTES, ReportStatus, RunReport,
    ScriptReport, TickReport, WorldReport,
};
pub use crate::scene::run_script::run_script;

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
    /// A Lua file for this entity, relative to the scene file:
    /// [`Scene::load`] reads it into `source`, and it names the script in
    /// reports.
    #[serde(default)]
    pub script: Option<String>,
    /// The entity's Lua source (inline, or read from `script`).
    #[serde(default)]
    pub source: Option<String>,
    /// What the entity's script may do. Default: console only.
    #[serde(default)]
    pub permissions: Permissions,
}

impl SceneEntity {
    /// The name the entity's script goes by in errors and reports: its file,
    /// else the entity's name with `.lua`, else `entity{index}.lua`.
    pub fn script_name(&self, index: usize) -> String {
        match (&self.script, &self.name) {
            (Some(script), _) => script.clone(),
            (None, Some(name)) => format!("{name}.lua"),
            (None, None) => format!("entity{index}.lua"),
        }
    }
}

/// Why a scene did not load: which file, where in it (JSON path, line
/// and column), and what was expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SceneError {
    /// The scene file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The scene file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The text is not a scene.
    #[error("{}at `{at}`{}: {message}", file_prefix(file), line_suffix(*line, *column))]
    Invalid {
        /// The scene file, when it came from one ([`Scene::load`]).
        file: Option<PathBuf>,
        /// The JSON path of what is wrong, e.g. `entities[0].components`
        /// (`.` for the whole text).
        at: String,
        /// The line and column in the text, when the parser knows them.
        line: Option<usize>,
        /// See `line`.
        column: Option<usize>,
        /// What was expected, e.g. ``invalid type: sequence, expected a map``.
        message: String,
    },
    /// A script file an entity names could not be read.
    #[error("{}: at `entities[{entity}].script`: cannot read {}: {source}", scene.display(), script.display())]
    ScriptUnreadable {
        /// The scene file.
        scene: PathBuf,
        /// The entity's index in `entities`.
        entity: usize,
        /// The script file, as resolved against the scene's folder.
        script: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn file_prefix(file: &Option<PathBuf>) -> String {
    file.as_ref()
        .map(|file| format!("{}: ", file.display()))
        .unwrap_or_default()
}

fn line_suffix(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
        (Some(line), None) => format!(" (line {line})"),
        _ => String::new(),
    }
}

impl Scene {
    /// Parses a scene; the error names the JSON path, the line and what was
    /// expected, e.g. ``at `entities[0].components` (line 1, column 30): invalid type: ...``.
    ///
    /// # Errors
    /// [`SceneError::Invalid`].
    pub fn parse(text: &str) -> Result<Scene, SceneError> {
        let invalid =
            |at: String, error: Option<&serde_json::Error>, message: String| SceneError::Invalid {
                file: None,
                at,
                line: error.map(serde_json::Error::line).filter(|line| *line > 0),
                column: error
                    .map(serde_json::Error::column)
                    .filter(|_| error.is_some_and(|e| e.line() > 0)),
                message,
            };
        let mut json = serde_json::Deserializer::from_str(text);
        let scene: Scene = serde_path_to_error::deserialize(&mut json).map_err(|error| {
            let at = error.path().to_string();
            let inner = error.into_inner();
            let message = strip_position(&inner);
            invalid(at, Some(&inner), message)
        })?;
        json.end()
            .map_err(|error| invalid(".".into(), Some(&error), strip_position(&error)))?;
        for (index, entity) in scene.entities.iter().enumerate() {
            if entity.script.is_some() && entity.source.is_some() {
                return Err(invalid(
                    format!("entities[{index}]"),
                    None,
                    "give `script` or `source`, not both".into(),
                ));
            }
        }
        Ok(scene)
    }

    /// Reads and parses the scene file at `path`, and reads the script file
    /// each entity names (relative to the scene) into its `source`. The
    /// error names the file, the JSON path, the line and what was expected.
    ///
    /// # Errors
    /// [`SceneError::Unreadable`], [`SceneError::Invalid`] (with `file`
    /// set) or [`SceneError::ScriptUnreadable`].
    pub fn load(path: &Path) -> Result<Scene, SceneError> {
        let text = std::fs::read_to_string(path).map_err(|source| SceneError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let mut scene = Scene::parse(&text).map_err(|error| match error {
            SceneError::Invalid {
                at,
                line,
                column,
                message,
                ..
            } => SceneError::Invalid {
                file: Some(path.to_path_buf()),
                at,
                line,
                column,
                message,
            },
            other => other,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for (index, entity) in scene.entities.iter_mut().enumerate() {
            if let Some(script) = &entity.script {
                let file = base.join(script);
                let source = std::fs::read_to_string(&file).map_err(|source| {
                    SceneError::ScriptUnreadable {
                        scene: path.to_path_buf(),
                        entity: index,
                        script: file.clone(),
                        source,
                    }
                })?;
                entity.source = Some(source);
            }
        }
        Ok(scene)
    }

    /// Spawns the scene in a new world, attaches each entity's script (its
    /// `source`) with `config`, runs `ticks` ticks of `dt` seconds and
    /// reports. Every component name the scene uses or permits is
    /// registered schema-less. An entity that names a `script` file not read
    /// by [`Scene::load`] is reported as an error of kind `not_found`.
    pub fn run(
        self,
        engine: ScriptEngine,
        config: &ScriptConfig,
        ticks: u64,
        dt: f64,
    ) -> RunReport {
        self.run_until(engine, config, ticks, dt, None).0
    }

    /// [`Scene::run`] within a wall-time budget, loading included: no call
    /// (a script's chunk, a callback, a task) runs past it, scripts not yet
    /// loaded when it passes are not, and the report says so as an error of
    /// kind `timeout`.
    pub fn run_within(
        self,
        engine: ScriptEngine,
        config: &ScriptConfig,
        ticks: u64,
        dt: f64,
        wall_time: Duration,
    ) -> RunReport {
        let deadline = Instant::now() + wall_time;
        let (mut report, loading_cut) = self.run_until(engine, config, ticks, dt, Some(deadline));
        let ran = report.ticks.unwrap_or(0);
        if loading_cut || ran < ticks {
            let when = if loading_cut {
                "while loading its scripts".to_string()
            } else {
                format!("after {ran} of {ticks} ticks")
            };
            report.status = ReportStatus::Error;
            report.error = Some(ErrorReport {
                kind: ErrorKind::Timeout,
                message: format!("the run passed its wall-time budget of {wall_time:?} {when}"),
                line: None,
                traceback: None,
            });
        }
        report
    }

    /// Runs the scene until `deadline` if there is one; also says whether
    /// the deadline passed while the scripts loaded (then no tick ran).
    fn run_until(
        self,
        engine: ScriptEngine,
        config: &ScriptConfig,
        ticks: u64,
        dt: f64,
        deadline: Option<Instant>,
    ) -> (RunReport, bool) {
        let (mut world, attached) = self.spawn(engine, config, deadline);
        let loading_cut = deadline.is_some_and(|deadline| Instant::now() >= deadline);
        let ticks = if loading_cut { 0 } else { ticks };
        let mut ran = run_ticks(&mut world, ticks, dt, deadline);
        close_scripts(&mut world, &mut ran, deadline);
        (report(&mut world, &attached, ran, config), loading_cut)
    }

    /// Editor types for the scene's scripts: the Lua API, with a class per
    /// component shaped like the first value the scene gives it (a name
    /// only in permissions is `any`).
    ///
    /// ```
    /// use luabox::scene::Scene;
    ///
    /// let scene = Scene::parse(r#"{"entities": [{"components": {"Hp": {"now": 3, "max": 5}}}]}"#)?;
    /// let text = scene.annotations().render();
    /// assert!(text.contains("---@class Hp\n---@field max number\n---@field now number\n"));
    /// # Ok::<(), luabox::scene::SceneError>(())
    /// ```
    pub fn annotations(&self) -> Annotations {
        let mut annotations = Annotations::new();
        for entity in &self.entities {
            for (name, value) in &entity.components {
                annotations.component_like(name, &value.to_value());
            }
        }
        for entity in &self.entities {
            for name in entity.permissions.components() {
                annotations.component_like(name, &serde_json::Value::Null);
            }
        }
        annotations
    }

    /// A new world with the scene's entities, their scripts attached: each
    /// script's chunk stops at `deadline` if that comes first, and once it
    /// has passed the remaining scripts are not loaded (each says so).
    fn spawn(
        self,
        engine: ScriptEngine,
        config: &ScriptConfig,
        deadline: Option<Instant>,
    ) -> (World, Vec<Attached>) {
        let mut world = World::new();
        let mut registry = ComponentRegistry::default();
        for entity in &self.entities {
            for name in entity
                .components
                .keys()
                .chain(entity.permissions.components())
            {
                registry.register_json(name);
            }
        }
        world.insert_resource(registry);
        world.insert_resource(ScriptManager::new(engine));

        let mut attached = Vec::new();
        for (index, entity) in self.entities.into_iter().enumerate() {
            let name = entity.script_name(index);
            let scripted = entity.source.is_some() || entity.script.is_some();
            let mut spawned = world.spawn(JsonComponents(entity.components));
            if let Some(entity_name) = entity.name {
                spawned.insert(SceneName(entity_name));
            }
            let id = spawned.id();
            if !scripted {
                continue;
            }
            let passed = deadline.is_some_and(|deadline| Instant::now() >= deadline);
            let loaded = match entity.source {
                Some(_) if passed => Err(ScriptError::ResourceLimitExceeded {
                    script: name.clone(),
                    limit: Limit::Timeout,
                    message: "not loaded: the run passed its wall-time budget before this \
                              script's turn"
                        .into(),
                    line: None,
                    traceback: None,
                }),
                Some(source) => ScriptRunner::attach_until(
                    &mut world,
                    id,
                    &name,
                    source.into_bytes(),
                    config.clone(),
                    entity.permissions,
                    deadline,
                ),
                None => Err(ScriptError::NotFound {
                    script: format!(
                        "{name} (the scene names it, but it was not read: Scene::load reads it)"
                    ),
                }),
            };
            attached.push(Attached {
                name,
                entity: id,
                loaded,
            });
        }
        (world, attached)
    }
}

/// A scene script: its name, its entity, and its id or why it did not load.
struct Attached {
    name: String,
    entity: Entity,
    loaded: Result<ScriptId, ScriptError>,
}

/// What the ticks ran: per script, the fuel it used and whether that count
/// is exact; the console lines; how many ticks ran in full.
struct Ran {
    fuel: BTreeMap<ScriptId, (u64, bool)>,
    output: ReportLines,
    ticks: u64,
    timeline: VecDeque<TickReport>,
}

/// Runs up to `ticks` ticks, stopping early once `deadline` has passed.
fn run_ticks(world: &mut World, ticks: u64, dt: f64, deadline: Option<Instant>) -> Ran {
    let mut ran = Ran {
        fuel: BTreeMap::new(),
        output: ReportLines::default(),
        ticks: 0,
        timeline: VecDeque::new(),
    };
    // What scripts emitted in the tick before: delivered in this one.
    let mut delivered: (Vec<EventReport>, u64) = (Vec::new(), 0);
    for _ in 0..ticks {
        let finished = ScriptRunner::tick_until(world, dt, deadline);
        let emitted = emitted_events(world);
        let clock = world
            .get_resource::<ScriptClock>()
            .copied()
            .unwrap_or_default();
        let manager = world.resource::<ScriptManager>();
        let mut tasks_waiting = 0;
        for id in manager.ids() {
            let (used, exact) = ran.fuel.entry(id).or_insert((0, true));
            *used += manager.fuel_used(id).unwrap_or(0);
            *exact &= manager.fuel_used_exact(id).unwrap_or(true);
            tasks_waiting += u64::from(manager.tasks_waiting(id).unwrap_or(0));
        }
        if ran.timeline.len() == MAX_REPORT_TICKS {
            ran.timeline.pop_front();
        }
        let (events_delivered, events_omitted) = std::mem::replace(&mut delivered, emitted);
        ran.timeline.push_back(TickReport {
            tick: clock.tick,
            time: clock.time,
            tasks_waiting,
            events_delivered,
            events_omitted,
        });
        if let Some(mut console) = world.get_resource_mut::<ScriptConsole>() {
            for entry in console.drain() {
                ran.output.push(&entry.text);
            }
        }
        if !finished {
            break;
        }
        ran.ticks += 1;
    }
    ran
}

/// The scene's end: closes every script's sandbox, as `lua_close` would
/// (their `__gc` finalizers run, each script's under one call's limits, no
/// world lent, all within the run's wall-time budget); what they print ends
/// the report's output. Once the run's budget is spent, the scripts not yet
/// closed are dropped, as an unclosed Lua state would be; a disabled
/// script's sandbox is dropped too (it runs no code).
fn close_scripts(world: &mut World, ran: &mut Ran, deadline: Option<Instant>) {
    let Some(mut manager) = world.get_resource_mut::<ScriptManager>() else {
        return;
    };
    for id in manager.ids() {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return;
        }
        for message in manager.close_script(id, deadline).unwrap_or_default() {
            ran.output.push(&message.text);
        }
    }
}

/// Drains what scripts emitted in the tick: the first
/// [`MAX_REPORT_EVENTS_PER_TICK`] as reports, and how many more.
fn emitted_events(world: &mut World) -> (Vec<EventReport>, u64) {
    let Some(mut emitted) = world.get_resource_mut::<EmittedEvents>() else {
        return (Vec::new(), 0);
    };
    let mut listed = Vec::new();
    let mut omitted = 0;
    for event in emitted.drain() {
        if listed.len() < MAX_REPORT_EVENTS_PER_TICK {
            listed.push(EventReport {
                name: event.name,
                script: event.script,
                sender: event.sender,
            });
        } else {
            omitted += 1;
        }
    }
    (listed, omitted)
}

/// The report of a scene run.
fn report(world: &mut World, attached: &[Attached], ran: Ran, config: &ScriptConfig) -> RunReport {
    let console_dropped = world
        .get_resource::<ScriptConsole>()
        .map_or(0, ScriptConsole::dropped);
    let manager = world.resource::<ScriptManager>();
    let scripts: Vec<ScriptReport> = attached
        .iter()
        .map(|script| match &script.loaded {
            Ok(id) => {
                let errors = manager.errors(*id).unwrap_or(&[]);
                ScriptReport {
                    name: script.name.clone(),
                    entity: script.entity,
                    status: match manager.status(*id) {
                        Some(ScriptStatus::Disabled { .. }) => ReportStatus::Disabled,
                        _ if !errors.is_empty() => ReportStatus::Error,
                        _ => ReportStatus::Ok,
                    },
                    disabled: match manager.status(*id) {
                        Some(ScriptStatus::Disabled { reason }) => Some(reason.clone()),
                        _ => None,
                    },
                    errors: errors.iter().map(ErrorReport::from).collect(),
                    errors_dropped: manager.errors_dropped(*id).unwrap_or(0),
                    fuel_used: ran.fuel.get(id).map_or(0, |(used, _)| *used),
                    fuel_used_exact: ran.fuel.get(id).is_none_or(|(_, exact)| *exact),
                }
            }
            Err(error) => ScriptReport {
                name: script.name.clone(),
                entity: script.entity,
                status: ReportStatus::Error,
                disabled: None,
                errors: vec![ErrorReport::from(error)],
                errors_dropped: 0,
                // A load that ran out of fuel used all of it; the fuel of a
                // load that failed otherwise is not known (a lower bound).
                fuel_used: if error.kind() == ErrorKind::Fuel {
                    config.limits.fuel
                } else {
                    0
                },
                fuel_used_exact: error.kind() == ErrorKind::Fuel,
            },
        })
        .collect();
    let memory_peak_bytes = attached
        .iter()
        .filter_map(|script| script.loaded.as_ref().ok())
        .filter_map(|id| manager.memory_peak_bytes(*id))
        .max()
        .unwrap_or(0);
    RunReport {
        status: if scripts
            .iter()
            .all(|script| script.status == ReportStatus::Ok)
        {
            ReportStatus::Ok
        } else {
            ReportStatus::Error
        },
        output: ran.output.lines,
        output_dropped: ran.output.dropped.saturating_add(console_dropped),
        result: JsonText::null(),
        error: None,
        fuel_used: scripts.iter().map(|script| script.fuel_used).sum(),
        fuel_used_exact: scripts.iter().all(|script| script.fuel_used_exact),
        memory_peak_bytes,
        ticks: Some(ran.ticks),
        world: Some(world_report(world)),
        scripts: Some(scripts),
        timeline: Some(ran.timeline.into()),
    }
}

/// serde_json's message without the " at line L column C" it ends with
/// (the error carries those as numbers).
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}
