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
//! assert_eq!(world.entities[0].components["Count"], 3);
//! # Ok::<(), luabox::ScriptError>(())
//! ```

use std::collections::BTreeMap;

use bevy_ecs::prelude::*;
use bevy_ecs::resource::IsResource;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::ScriptConfig;
use crate::console::ScriptConsole;
use crate::engine::ScriptEngine;
use crate::error::ScriptError;
use crate::manager::{ScriptId, ScriptManager, ScriptStatus};
use crate::permissions::Permissions;
use crate::registry::{ComponentRegistry, JsonComponents};
use crate::system::ScriptSystem;

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
    /// Components by name, any JSON.
    #[serde(default)]
    pub components: BTreeMap<String, Value>,
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

/// What a run produced: the object `luabox run --json` prints.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunReport {
    /// `"ok"`, or `"error"` if the script (or any scene script) failed.
    pub status: &'static str,
    /// Console lines, in order.
    pub output: Vec<String>,
    /// What a single script's chunk returned (`null` for scenes).
    pub result: Value,
    /// A single script's error.
    pub error: Option<ErrorReport>,
    /// Fuel used (a scene: by all scripts over all ticks).
    pub fuel_used: u64,
    /// The largest linear memory any script reached, in bytes.
    pub memory_peak_bytes: usize,
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

/// The world in a report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WorldReport {
    /// Every entity a script could see, in id order.
    pub entities: Vec<EntityReport>,
}

/// One entity in a report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EntityReport {
    /// `Entity::to_bits`, as scripts see it.
    pub id: u64,
    /// The scene's name for it, if any.
    pub name: Option<String>,
    /// Its components by name.
    pub components: BTreeMap<String, Value>,
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
    /// Its errors, oldest first.
    pub errors: Vec<ErrorReport>,
    /// Fuel it used over all ticks.
    pub fuel_used: u64,
}

/// The scene's name for an entity (not visible to scripts).
#[derive(Component)]
struct SceneName(String);

/// Runs `source` as `name` in a fresh sandbox and reports it.
///
/// ```
/// let engine = luabox::ScriptEngine::new(Default::default())?;
/// let report = luabox::run_script(&engine, "hi.lua", "print('hi') return 42", &Default::default());
/// assert_eq!((report.output, report.result), (vec!["hi".to_string()], serde_json::json!(42)));
/// # Ok::<(), luabox::ScriptError>(())
/// ```
pub fn run_script(
    engine: &ScriptEngine,
    name: &str,
    source: impl AsRef<[u8]>,
    config: &ScriptConfig,
) -> RunReport {
    let (outcome, output, fuel_used, memory_peak_bytes) = match engine.instantiate(name, config) {
        Ok(mut script) => {
            let outcome = script.run(source);
            let output = script.take_output();
            (
                outcome,
                output,
                script.fuel_used(),
                script.memory_peak_bytes(),
            )
        }
        Err(error) => (Err(error), Vec::new(), 0, 0),
    };
    let (result, error) = match &outcome {
        Ok(value) => (value.clone(), None),
        Err(error) => (Value::Null, Some(ErrorReport::from(error))),
    };
    RunReport {
        status: if error.is_none() { "ok" } else { "error" },
        output: output
            .iter()
            .flat_map(|message| message.text.split('\n'))
            .map(str::to_string)
            .collect(),
        result,
        error,
        fuel_used,
        memory_peak_bytes,
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

        let mut fuel: BTreeMap<ScriptId, u64> = BTreeMap::new();
        let mut output = Vec::new();
        for _ in 0..ticks {
            ScriptSystem::tick(&mut world, dt);
            let manager = world.resource::<ScriptManager>();
            for id in manager.ids() {
                *fuel.entry(id).or_default() += manager.fuel_used(id);
            }
            if let Some(mut console) = world.get_resource_mut::<ScriptConsole>() {
                for entry in console.drain() {
                    output.extend(entry.text.split('\n').map(str::to_string));
                }
            }
        }

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
                    fuel_used: fuel.get(id).copied().unwrap_or(0),
                },
                Err(error) => ScriptReport {
                    name: name.clone(),
                    entity: entity.to_bits(),
                    status: "error",
                    errors: vec![ErrorReport::from(error)],
                    // A load that ran out of fuel used all of it.
                    fuel_used: if error.kind() == "fuel" {
                        config.limits.fuel
                    } else {
                        0
                    },
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
            output,
            result: Value::Null,
            error: None,
            fuel_used: scripts.iter().map(|script| script.fuel_used).sum(),
            memory_peak_bytes,
            world: Some(world_report(&mut world)),
            scripts: Some(scripts),
        }
    }
}

/// Every scene-visible entity with its components, in id order.
fn world_report(world: &mut World) -> WorldReport {
    let registry = world.resource::<ComponentRegistry>().clone();
    let mut query = world.query_filtered::<(Entity, Option<&SceneName>), Without<IsResource>>();
    let mut entities: Vec<(Entity, Option<String>)> = query
        .iter(world)
        .map(|(entity, name)| (entity, name.map(|name| name.0.clone())))
        .collect();
    entities.sort_by_key(|(entity, _)| (entity.index(), entity.generation().to_bits()));
    WorldReport {
        entities: entities
            .into_iter()
            .map(|(entity, name)| EntityReport {
                id: entity.to_bits(),
                name,
                components: registry.components_of(world, entity),
            })
            .collect(),
    }
}
