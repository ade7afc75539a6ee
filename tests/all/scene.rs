//! Scenes through the library: inline sources, and scenes refused with the
//! JSON path named.

use luabox::scene::Scene;
use luabox::{ScriptConfig, ScriptEngine};

use crate::support::test_cache;

fn engine() -> ScriptEngine {
    ScriptEngine::new(
        luabox::EngineConfig::default()
            .with_cache(test_cache())
            .with_allocation(luabox::SandboxAllocation::Pool { max_sandboxes: 8 }),
    )
    .expect("engine")
}

#[test]
fn an_inline_scene_runs_and_reports_world_scripts_and_output() {
    let scene = Scene::parse(
        r#"{"entities": [
            {"name": "a", "components": {"N": 1},
             "source": "function on_update() local n = ecs.get(entity, 'N') print('n=' .. n) ecs.insert(entity, 'N', n * 2) end",
             "permissions": {"read": ["N"], "write": ["N"]}},
            {"name": "b", "components": {"N": 5}, "source": "function on_update() ecs.insert(entity, 'N', 0) end"}
        ]}"#,
    )
    .expect("scene");
    let report = scene.run(engine(), &ScriptConfig::default(), 3, 0.1);
    assert_eq!(
        report.status,
        luabox::scene::ReportStatus::Error,
        "b may not write N"
    );
    assert_eq!(report.output, ["n=1", "n=2", "n=4"]);
    let world = report.world.expect("world");
    assert_eq!(world.entities[0].components["N"].as_str(), "8");
    assert_eq!(world.entities[1].components["N"].as_str(), "5");
    let scripts = report.scripts.expect("scripts");
    assert_eq!(
        (scripts[0].name.as_str(), scripts[0].status),
        ("a.lua", luabox::scene::ReportStatus::Ok)
    );
    assert_eq!(scripts[1].errors[0].kind, luabox::ErrorKind::Permission);
    // Three refusals disable b; the report says why.
    assert_eq!(scripts[1].status, luabox::scene::ReportStatus::Disabled);
    assert_eq!(
        scripts[1].disabled.as_deref(),
        Some("3 permission violations (the limit is 3)")
    );
    assert_eq!(scripts[0].disabled, None);
    let json = serde_json::to_value(&scripts).expect("json");
    assert_eq!(
        json[1]["disabled"],
        "3 permission violations (the limit is 3)"
    );
    assert!(json[0].get("disabled").is_none(), "{json}");
}

#[test]
fn bad_scenes_are_refused_naming_where() {
    for (text, expected) in [
        (
            r#"{"entities": [{"script": "x.lua", "source": "print(1)"}]}"#,
            "entities[0]",
        ),
        (
            r#"{"entities": [{"components": []}]}"#,
            "entities[0].components",
        ),
        (r#"{"entities": []} trailing"#, "trailing"),
        (r#"{"entities": [{"colour": 1}]}"#, "unknown field `colour`"),
    ] {
        let error = Scene::parse(text).expect_err(text).to_string();
        assert!(error.contains(expected), "{text}: {error}");
    }
    // Which line: a scene file's error names the file, the path and the line.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        "{\"entities\": [\n  {\"name\": \"a\"},\n  {\"components\": []}\n]}",
    )
    .unwrap();
    match Scene::load(&path).expect_err("broken") {
        luabox::scene::SceneError::Invalid { file, at, line, .. } => {
            assert_eq!(file.as_deref(), Some(path.as_path()));
            assert_eq!(at, "entities[1].components");
            assert_eq!(line, Some(3));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_example_scene_waits_and_talks_and_its_timeline_shows_it() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scene/scene.json");
    let scene = Scene::load(&path).expect("the example scene");
    let run = || {
        scene
            .clone()
            .run(engine(), &ScriptConfig::default(), 5, 1.0)
    };
    let report = run();
    assert!(
        report
            .output
            .contains(&"heard spawned: a marker at 10,10".to_string())
    );
    let timeline = report.timeline.clone().expect("a timeline");
    let waiting: Vec<u64> = timeline.iter().map(|tick| tick.tasks_waiting).collect();
    // The spawner waits from tick 1 (time 1) until tick 3 (time 3).
    assert_eq!(waiting, [1, 1, 0, 0, 0]);
    let times: Vec<f64> = timeline.iter().map(|tick| tick.time).collect();
    assert_eq!(times, [1.0, 2.0, 3.0, 4.0, 5.0]);
    let delivered: Vec<(u64, &str, &str)> = timeline
        .iter()
        .flat_map(|tick| {
            tick.events_delivered
                .iter()
                .map(move |event| (tick.tick, event.name.as_str(), event.script.as_str()))
        })
        .collect();
    assert_eq!(delivered, [(4, "spawned", "spawner.lua")]);
    // Determinism: the same scene and ticks give the same report, fuel included.
    assert_eq!(report, run());
}

#[test]
fn the_reports_world_bound_counts_every_entity_empty_ones_too() {
    // 60,000 empty entities a tick, for three ticks.
    let scene = Scene::parse(
        r#"{"entities": [{"name": "spawner", "permissions": {"spawn": true},
            "source": "function on_update() for i = 1, 60000 do ecs.spawn{} end end"}]}"#,
    )
    .expect("scene");
    let report = scene.run(engine(), &ScriptConfig::default(), 3, 0.1);
    assert_eq!(
        report.status,
        luabox::scene::ReportStatus::Ok,
        "{:?}",
        report.scripts
    );
    let world = report.world.expect("world");
    let listed = world.entities.len() as u64;
    assert_eq!(
        listed + world.entities_omitted,
        180_001,
        "every entity is listed or counted"
    );
    assert!(world.entities_omitted > 0, "{listed} listed");
    let text = serde_json::to_string(&world).expect("json");
    assert!(
        text.len() <= luabox::scene::MAX_REPORT_WORLD_BYTES,
        "the world part is {} bytes",
        text.len()
    );
}

#[test]
fn a_wall_time_budget_covers_loading_the_scripts() {
    // Ten scripts whose chunk never ends, each with a one-second timeout,
    // under a budget of 300 ms: the run ends within the budget (and a
    // tick of the clock), not after ten timeouts.
    let entities: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"name": "spin{i}", "source": "while true do end"}}"#))
        .collect();
    let scene =
        Scene::parse(&format!(r#"{{"entities": [{}]}}"#, entities.join(","))).expect("scene");
    let config = ScriptConfig::default().with_limits(
        luabox::Limits::default()
            .with_fuel(u64::MAX / 2)
            .with_timeout(std::time::Duration::from_millis(1_000)),
    );
    let started = std::time::Instant::now();
    let report = scene.run_within(
        engine(),
        &config,
        5,
        0.1,
        std::time::Duration::from_millis(300),
    );
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_millis(900),
        "took {took:?}"
    );
    let error = report.error.expect("the run says it passed its budget");
    assert_eq!(error.kind, luabox::ErrorKind::Timeout);
    let scripts = report.scripts.expect("scripts");
    assert_eq!(scripts.len(), 10);
    assert!(
        scripts[0].errors[0]
            .message
            .contains("what was left of the run's wall-time budget"),
        "{:?}",
        scripts[0].errors
    );
    assert!(
        scripts[9].errors[0].message.contains("not loaded"),
        "{:?}",
        scripts[9].errors
    );
}
