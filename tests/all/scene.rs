//! Scenes through the library: inline sources, and scenes refused with the
//! JSON path named.

use luabox::scene::Scene;
use luabox::{ScriptConfig, ScriptEngine};

use crate::support::test_cache;

fn engine() -> ScriptEngine {
    ScriptEngine::new(luabox::EngineConfig {
        cache: test_cache(),
        max_sandboxes: 8,
        ..Default::default()
    })
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
    assert_eq!(report.status, "error", "b may not write N");
    assert_eq!(report.output, ["n=1", "n=2", "n=4"]);
    let world = report.world.expect("world");
    assert_eq!(world.entities[0].components["N"].as_str(), "8");
    assert_eq!(world.entities[1].components["N"].as_str(), "5");
    let scripts = report.scripts.expect("scripts");
    assert_eq!(
        (scripts[0].name.as_str(), scripts[0].status),
        ("a.lua", "ok")
    );
    assert_eq!(scripts[1].errors[0].kind, luabox::ErrorKind::Permission);
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
        let error = Scene::parse(text).expect_err(text);
        assert!(error.contains(expected), "{text}: {error}");
    }
}
