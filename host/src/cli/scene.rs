//! `luabox run --scene scene.json`: scripted entities in a bevy World.

use std::collections::BTreeMap;
use std::path::Path;

use bevy_ecs::prelude::*;
use bevy_ecs::resource::IsResource;
use luabox::{
    ComponentRegistry, JsonComponents, Permissions, ScriptConsole, ScriptId, ScriptManager,
    ScriptStatus, ScriptSystem,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::run::ErrorReport;
use super::{RunArgs, exit};

/// A scene file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scene {
    entities: Vec<SceneEntity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SceneEntity {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    components: BTreeMap<String, Value>,
    /// A Lua file, relative to the scene file.
    #[serde(default)]
    script: Option<String>,
    #[serde(default)]
    permissions: Permissions,
}

/// The scene's name for an entity (not visible to scripts).
#[derive(Component)]
struct SceneName(String);

#[derive(Serialize)]
struct SceneReport {
    status: &'static str,
    output: Vec<String>,
    result: Value,
    error: Option<ErrorReport>,
    fuel_used: u64,
    memory_peak_bytes: usize,
    world: WorldReport,
    scripts: Vec<ScriptReport>,
}

#[derive(Serialize)]
struct WorldReport {
    entities: Vec<EntityReport>,
}

#[derive(Serialize)]
struct EntityReport {
    id: u64,
    name: Option<String>,
    components: BTreeMap<String, Value>,
}

#[derive(Serialize)]
struct ScriptReport {
    name: String,
    entity: u64,
    status: &'static str,
    errors: Vec<ErrorReport>,
    fuel_used: u64,
}

/// A script named by the scene: its path as written, and its source.
type ScriptSource = (String, Vec<u8>);

/// Reads and checks the scene; the error names the file, the JSON path and
/// what was expected.
fn load_scene(path: &Path) -> Result<(Scene, Vec<Option<ScriptSource>>), String> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("cannot read {shown}: {error}"))?;
    let mut json = serde_json::Deserializer::from_str(&text);
    let scene: Scene = serde_path_to_error::deserialize(&mut json)
        .map_err(|error| format!("{shown}: at `{}`: {}", error.path(), error.inner()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let sources = scene
        .entities
        .iter()
        .enumerate()
        .map(|(index, entity)| {
            entity
                .script
                .as_ref()
                .map(|script| {
                    std::fs::read(base.join(script))
                        .map(|source| (script.clone(), source))
                        .map_err(|error| {
                            format!("{shown}: at `entities[{index}].script`: cannot read {script}: {error}")
                        })
                })
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    Ok((scene, sources))
}

pub(crate) fn run(path: &Path, args: &RunArgs) -> u8 {
    let (scene, sources) = match load_scene(path) {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("luabox: {message}");
            return exit::USAGE;
        }
    };
    let engine = match super::engine() {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    for entity in &scene.entities {
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

    let mut scripts: Vec<(String, Entity, Result<ScriptId, luabox::ScriptError>)> = Vec::new();
    for (entity, source) in scene.entities.into_iter().zip(sources) {
        let mut spawned = world.spawn(JsonComponents(entity.components));
        if let Some(name) = entity.name {
            spawned.insert(SceneName(name));
        }
        let id = spawned.id();
        if let Some((script, source)) = source {
            let loaded = ScriptSystem::attach(
                &mut world,
                id,
                &script,
                source,
                args.script_config(),
                entity.permissions,
            );
            scripts.push((script, id, loaded));
        }
    }

    let mut fuel: BTreeMap<ScriptId, u64> = BTreeMap::new();
    let mut output = Vec::new();
    for _ in 0..args.ticks {
        ScriptSystem::tick(&mut world, args.dt);
        let manager = world.resource::<ScriptManager>();
        for id in manager.ids() {
            *fuel.entry(id).or_default() += manager.fuel_used(id);
        }
        if let Some(mut console) = world.get_resource_mut::<ScriptConsole>() {
            for entry in console.drain() {
                if !args.json {
                    println!("{}", entry.text);
                }
                output.extend(entry.text.split('\n').map(str::to_string));
            }
        }
    }

    let manager = world.resource::<ScriptManager>();
    let script_reports: Vec<ScriptReport> = scripts
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
                fuel_used: 0,
            },
        })
        .collect();
    let memory_peak_bytes = scripts
        .iter()
        .filter_map(|(_, _, loaded)| loaded.as_ref().ok())
        .map(|id| manager.memory_peak_bytes(*id))
        .max()
        .unwrap_or(0);
    let report = SceneReport {
        status: if script_reports.iter().all(|script| script.status == "ok") {
            "ok"
        } else {
            "error"
        },
        output,
        result: Value::Null,
        error: None,
        fuel_used: script_reports.iter().map(|script| script.fuel_used).sum(),
        memory_peak_bytes,
        world: world_report(&mut world),
        scripts: script_reports,
    };
    if args.json {
        if let Err(code) = super::print_json(&report) {
            return code;
        }
    } else {
        for script in &report.scripts {
            for error in &script.errors {
                eprintln!(
                    "error ({}) in {}: {}",
                    error.kind, script.name, error.message
                );
            }
        }
        match serde_json::to_string_pretty(&report.world) {
            Ok(text) => println!("{text}"),
            Err(error) => eprintln!("luabox: cannot encode the world: {error}"),
        }
    }
    exit::OK
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
