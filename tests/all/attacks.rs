//! The attack suite: every hostile script in `tests/attacks/` (plain Lua) and
//! `tests/attacks/ecs/` (against a bevy World) must end in the outcome its
//! header names, and nothing an escape would print (`ESCAPED`) may appear.
//!
//! Header lines of an attack file:
//! - `-- attack: what it tries` (required)
//! - `-- expect: ok | runtime | syntax | fuel | memory | timeout | stack | output | permission`
//! - `-- limits: fuel=N memory=SIZE timeout=MS` (optional)
//! - `-- then, in a fresh sandbox: LUA` (optional): a second script run in a
//!   new sandbox of the same engine afterwards, which must succeed unaffected
//! - `-- allow: spawn` (optional; ECS attacks): grant spawning
//! - `-- message: TEXT` (optional): the error's text must contain TEXT
//!
//! The default limits here are tighter than the engine's (fuel 2e8, 32 MiB,
//! 2 s) so the suite stays quick; the classes are the same.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bevy_ecs::prelude::*;
use luabox::ecs::{ComponentRegistry, Permissions, ScriptConsole, ScriptManager, ScriptRunner};
use luabox::{Limits, ScriptConfig, ScriptEngine, ScriptError};
use serde::{Deserialize, Serialize};

use crate::support::{engine, test_cache};

const MARK: &str = "ESCAPED";

struct Attack {
    /// The file name, as failures and the sandbox call it.
    name: String,
    source: String,
    expect: String,
    limits: Limits,
    then: Option<String>,
    allow_spawn: bool,
    message: Option<String>,
}

impl Attack {
    /// The mismatches between what happened and what the header says.
    fn check(&self, name: &str, got: &str, error: Option<&ScriptError>) -> Vec<String> {
        let mut failures = Vec::new();
        if got != self.expect {
            failures.push(format!(
                "{name}: expected {}, got {got}: {error:?}",
                self.expect
            ));
        }
        if let Some(expected) = &self.message {
            let text = error.map(ToString::to_string).unwrap_or_default();
            if !text.contains(expected.as_str()) {
                failures.push(format!(
                    "{name}: the message lacks `{expected}`: {text:.300}"
                ));
            }
        }
        failures
    }
}

fn header<'a>(source: &'a str, key: &str) -> Option<&'a str> {
    let prefix = format!("-- {key}:");
    source
        .lines()
        .take_while(|line| line.starts_with("--"))
        .find_map(|line| line.strip_prefix(&prefix))
        .map(str::trim)
}

fn suite_limits() -> Limits {
    Limits::default()
        .with_fuel(200_000_000)
        .with_memory(32 << 20)
        .with_timeout(std::time::Duration::from_millis(2_000))
}

fn parse_limits(path: &Path, spec: &str) -> Limits {
    let mut limits = suite_limits();
    for setting in spec.split_whitespace() {
        let (key, value) = setting
            .split_once('=')
            .unwrap_or_else(|| panic!("{}: bad limit `{setting}`", path.display()));
        match key {
            "fuel" => limits = limits.with_fuel(value.parse::<f64>().expect("fuel") as u64),
            "memory" => {
                let mib = value
                    .trim_end_matches("MiB")
                    .parse::<usize>()
                    .expect("memory in MiB");
                limits = limits.with_memory(mib << 20);
            }
            "timeout" => {
                let ms = value.trim_end_matches("ms").parse().expect("timeout in ms");
                limits = limits.with_timeout(std::time::Duration::from_millis(ms));
            }
            other => panic!("{}: unknown limit `{other}`", path.display()),
        }
    }
    limits
}

fn load(dir: &str) -> Vec<Attack> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/attacks")
        .join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/attacks")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "lua"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let source = std::fs::read_to_string(&path).expect("read attack");
            assert!(
                header(&source, "attack").is_some(),
                "{}: no `-- attack:` line",
                path.display()
            );
            let expect = header(&source, "expect")
                .unwrap_or_else(|| panic!("{}: no `-- expect:` line", path.display()))
                .to_string();
            let limits = header(&source, "limits")
                .map_or_else(suite_limits, |spec| parse_limits(&path, spec));
            Attack {
                name: path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .unwrap_or("?")
                    .to_string(),
                then: header(&source, "then, in a fresh sandbox").map(String::from),
                allow_spawn: header(&source, "allow") == Some("spawn"),
                message: header(&source, "message").map(String::from),
                source,
                expect,
                limits,
            }
        })
        .collect()
}

fn outcome(result: &Result<serde_json::Value, ScriptError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(error) => error.kind().as_str().into(),
    }
}

/// Counts attacks per expected class and fails with every mismatch at once.
fn report(suite: &str, attacks: &[Attack], failures: Vec<String>) {
    let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
    for attack in attacks {
        *classes.entry(attack.expect.as_str()).or_default() += 1;
    }
    println!("{suite}: {} attacks by class: {classes:?}", attacks.len());
    assert!(
        failures.is_empty(),
        "{} attack(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_plain_attack_is_contained_in_its_class() {
    let attacks = load("");
    assert!(
        attacks.len() >= 60,
        "the suite has {} plain attacks",
        attacks.len()
    );
    let mut failures = Vec::new();
    for attack in &attacks {
        let name = attack.name.as_str();
        let config = ScriptConfig::default().with_limits(attack.limits.clone());
        let mut sandbox = engine().instantiate(name, &config).expect("instantiate");
        let result = sandbox.run(&attack.source);
        let got = outcome(&result);
        let output: Vec<String> = sandbox.take_output().into_iter().map(|m| m.text).collect();
        failures.extend(attack.check(name, &got, result.as_ref().err()));
        let returned = result
            .as_ref()
            .map(|value| value.to_string())
            .unwrap_or_default();
        if output.iter().any(|line| line.contains(MARK)) || returned.contains(MARK) {
            failures.push(format!("{name}: escaped: {output:?} {returned}"));
        }
        if let Some(then) = &attack.then {
            let mut fresh = engine()
                .instantiate("fresh.lua", &ScriptConfig::default())
                .expect("instantiate");
            let after = fresh.run(then);
            let printed: Vec<String> = fresh.take_output().into_iter().map(|m| m.text).collect();
            if after.is_err() || printed.iter().any(|line| line.contains(MARK)) {
                failures.push(format!(
                    "{name}: a fresh sandbox was affected: {after:?} {printed:?}"
                ));
            }
        }
    }
    report("plain", &attacks, failures);
}

#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Position {
    x: f64,
    y: f64,
}

#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Velocity {
    x: f64,
    y: f64,
}

#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Secret(u32);

/// Everything a script could change: every entity with its components.
type WorldState = BTreeMap<u64, (Option<Position>, Option<Velocity>, Option<Secret>)>;

fn snapshot(world: &mut World) -> WorldState {
    world
        .query_filtered::<(
            Entity,
            Option<&Position>,
            Option<&Velocity>,
            Option<&Secret>,
        ), Or<(With<Position>, With<Velocity>, With<Secret>)>>()
        .iter(world)
        .map(|(entity, p, v, s)| (entity.to_bits(), (p.copied(), v.copied(), s.copied())))
        .collect()
}

/// What differs between two states, for the failure message.
fn diff(before: &WorldState, after: &WorldState) -> Vec<String> {
    let keys: std::collections::BTreeSet<_> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|key| before.get(key) != after.get(key))
        .map(|key| format!("{key}: {:?} -> {:?}", before.get(key), after.get(key)))
        .collect()
}

#[test]
fn every_ecs_attack_is_contained_and_leaves_the_world_unchanged() {
    let attacks = load("ecs");
    let mut failures = Vec::new();
    for attack in &attacks {
        let name = attack.name.as_str();
        let mut world = World::new();
        let mut registry = ComponentRegistry::default();
        registry
            .register::<Position>("Position")
            .register::<Velocity>("Velocity")
            .register::<Secret>("Secret");
        world.insert_resource(registry);
        let engine = ScriptEngine::new(
            luabox::EngineConfig::default()
                .with_cache(test_cache())
                .with_allocation(luabox::SandboxAllocation::Pool { max_sandboxes: 4 }),
        )
        .expect("engine");
        world.insert_resource(ScriptManager::new(engine));
        for i in 0..50 {
            world.spawn((
                Position {
                    x: f64::from(i),
                    y: 0.0,
                },
                Secret(i),
            ));
        }
        let own = world
            .spawn((Position { x: 1.0, y: 2.0 }, Velocity { x: 3.0, y: 4.0 }))
            .id();
        let mut permissions = Permissions::default()
            .read(["Position", "Velocity"])
            .write(["Position"]);
        if attack.allow_spawn {
            permissions.spawn = true;
        }
        let config = ScriptConfig::default().with_limits(attack.limits.clone());
        let id = match ScriptRunner::attach(
            &mut world,
            own,
            name,
            attack.source.as_str(),
            config,
            permissions,
        ) {
            Ok(id) => id,
            Err(error) => {
                failures.push(format!("{name}: did not load: {error}"));
                continue;
            }
        };
        let before = snapshot(&mut world);
        ScriptRunner::tick(&mut world, 1.0 / 60.0);
        let after = snapshot(&mut world);
        let manager = world.resource::<ScriptManager>();
        let error = manager.errors(id).expect("a loaded script").first();
        let got = error.map_or("ok", |error| error.kind().as_str());
        failures.extend(attack.check(name, got, error));
        if before != after {
            failures.push(format!(
                "{name}: the world changed: {:?}",
                diff(&before, &after)
            ));
        }
        let console = world.resource::<ScriptConsole>();
        if console.messages().any(|entry| entry.text.contains(MARK)) {
            failures.push(format!("{name}: escaped (console)"));
        }
    }
    report("ecs", &attacks, failures);
}

/// What the sweep script reports (`tests/attacks/sweep/api_sweep.lua`).
#[derive(Component, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Report(serde_json::Value);

#[test]
fn every_api_function_takes_any_arguments_in_every_context() {
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/attacks/sweep/api_sweep.lua"),
    )
    .expect("the sweep script");
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Position>("Position")
        .register::<Report>("Report");
    world.insert_resource(registry);
    let mut manager = ScriptManager::new(engine().clone());
    // The sweep makes refused calls on purpose.
    manager.set_max_violations(u32::MAX);
    world.insert_resource(manager);
    let own = world.spawn(Position { x: 1.0, y: 2.0 }).id();
    let permissions = Permissions::default()
        .read(["Position", "Report"])
        .write(["Position", "Report"])
        .emit(["Position"])
        .receive(["Position"])
        .spawn_and_despawn();
    // Room for a thousand prints of 2,000 arguments in one call.
    let config = ScriptConfig::default().with_limits(
        Limits::default()
            .with_memory(256 << 20)
            .with_timeout(std::time::Duration::from_secs(60))
            .with_output_bytes(256 << 20)
            .with_output_lines(1 << 20),
    );
    let id = ScriptRunner::attach(&mut world, own, "sweep.lua", source, config, permissions)
        .expect("the sweep's main chunk (and its coroutine) runs");
    for _ in 0..3 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    let errors = world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script");
    assert!(errors.is_empty(), "{errors:?}");
    let done = world
        .get::<Report>(own)
        .expect("on_update reported")
        .0
        .to_string();
    for context in [
        "main chunk",
        "coroutine in the main chunk",
        "on_start",
        "task",
        "coroutine in on_start",
        "on_update",
        "on_event",
    ] {
        assert!(
            done.contains(&format!("\"{context} ")),
            "{context} did not finish: {done}"
        );
    }
}
