//! Closing a sandbox as `lua_close` closes a Lua state: pending `__gc`
//! finalizers run on an explicit close (unload, reload, a scene's end),
//! under one call's limits; a dropped instance runs none.

use bevy_ecs::prelude::*;
use luabox::ecs::{Permissions, ScriptManager, ScriptRunner};
use luabox::scene::Scene;
use luabox::{ErrorKind, Limits, ScriptConfig, ScriptError};

use crate::support::engine;

const FINALIZED: &str = "
    handles = {}
    for i = 1, 3 do
        handles[i] = setmetatable({}, {__gc = function() print('closed ' .. i) end})
    end";

#[test]
fn close_runs_pending_finalizers_once_and_ends_the_sandbox() {
    let mut script = engine()
        .instantiate("handles.lua", &ScriptConfig::default())
        .unwrap();
    script.run(FINALIZED).unwrap();
    script.close().unwrap();
    let mut printed: Vec<String> = script.take_output().into_iter().map(|m| m.text).collect();
    printed.sort();
    assert_eq!(printed, ["closed 1", "closed 2", "closed 3"]);
    let after = script.run("return 1").unwrap_err();
    assert!(matches!(after, ScriptError::Closed { .. }), "{after:?}");
    assert_eq!(after.kind(), ErrorKind::Closed);
    // Closing again does nothing.
    script.close().unwrap();
    assert!(script.take_output().is_empty());
}

#[test]
fn a_finalizer_that_never_ends_is_stopped_by_the_calls_limits() {
    let config = ScriptConfig::default().with_limits(Limits::default().with_fuel(20_000_000));
    let mut script = engine().instantiate("stuck.lua", &config).unwrap();
    script
        .run("keep = setmetatable({}, {__gc = function() while true do end end})")
        .unwrap();
    let error = script.close().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Fuel, "{error}");
    assert_eq!(script.terminated(), Some(ErrorKind::Fuel));
}

#[test]
fn a_failing_finalizer_is_a_warning_and_the_world_is_not_lent_to_finalizers() {
    let mut script = engine()
        .instantiate("warned.lua", &ScriptConfig::default())
        .unwrap();
    script
        .run(
            "warn('@on')
             keep = setmetatable({}, {__gc = function() ecs.get(1, 'Position') end})",
        )
        .unwrap();
    script.close().unwrap();
    let printed: Vec<String> = script.take_output().into_iter().map(|m| m.text).collect();
    assert_eq!(printed.len(), 1, "{printed:?}");
    assert!(printed[0].contains("error in __gc"), "{printed:?}");
    assert!(printed[0].contains("not available"), "{printed:?}");
}

#[test]
fn unload_and_reload_close_the_old_sandbox_and_return_what_it_printed() {
    let mut world = World::new();
    world.insert_resource(ScriptManager::new(engine().clone()));
    let entity = world.spawn_empty().id();
    let id = ScriptRunner::attach(
        &mut world,
        entity,
        "v.lua",
        "v = setmetatable({}, {__gc = function() print('bye v1') end})",
        ScriptConfig::default(),
        Permissions::default(),
    )
    .unwrap();
    let mut manager = world.resource_mut::<ScriptManager>();
    let closed = manager
        .reload(
            id,
            "v = setmetatable({}, {__gc = function() print('bye v2') end})",
        )
        .unwrap();
    assert_eq!(closed.output[0].text, "bye v1");
    assert!(closed.error.is_none());
    let closed = manager.unload(id).unwrap();
    assert_eq!(closed.output[0].text, "bye v2");
    assert!(manager.unload(id).is_err());
}

#[test]
fn a_scenes_end_runs_its_scripts_finalizers_into_the_report() {
    let scene = Scene::parse(
        r#"{"entities": [{"name": "log", "source": "f = setmetatable({}, {__gc = function() print('flushed at the end') end}) function on_update() print('tick') end"}]}"#,
    )
    .unwrap();
    let report = scene.run(engine().clone(), &ScriptConfig::default(), 2, 0.1);
    assert_eq!(report.output, ["tick", "tick", "flushed at the end"]);
}

#[test]
fn a_scene_cut_by_its_wall_time_closes_nothing_past_it() {
    let scene = Scene::parse(
        r#"{"entities": [{"name": "spin", "source": "f = setmetatable({}, {__gc = function() print('finalized') end}) function on_update() while true do end end"}]}"#,
    )
    .unwrap();
    let config = ScriptConfig::default().with_limits(
        Limits::default()
            .with_fuel(u64::MAX / 2)
            .with_timeout(std::time::Duration::from_secs(5)),
    );
    let report = scene.run_within(
        engine().clone(),
        &config,
        3,
        0.1,
        std::time::Duration::from_millis(200),
    );
    assert_eq!(
        report.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Timeout)
    );
    assert!(
        !report.output.iter().any(|line| line == "finalized"),
        "{:?}",
        report.output
    );
    // The cut call's timeout is the script's one error: closing added none.
    let scripts = report.scripts.expect("scripts");
    assert_eq!(scripts[0].errors.len(), 1, "{:?}", scripts[0].errors);
}

#[test]
fn a_disabled_script_runs_no_finalizer_when_it_is_closed() {
    let scene = Scene::parse(
        r#"{"entities": [{"name": "rogue", "components": {"N": 1},
            "source": "f = setmetatable({}, {__gc = function() print('rogue finalizer') while true do end end}) function on_update() pcall(ecs.insert, entity, 'N', 2) end"}]}"#,
    )
    .unwrap();
    let report = scene.run(engine().clone(), &ScriptConfig::default(), 3, 0.1);
    let scripts = report.scripts.expect("scripts");
    assert_eq!(scripts[0].status, luabox::scene::ReportStatus::Disabled);
    assert!(scripts[0].disabled.is_some());
    assert!(
        !report.output.iter().any(|line| line == "rogue finalizer"),
        "{:?}",
        report.output
    );

    // Unloading a disabled script drops it without running its code.
    let mut world = World::new();
    world.insert_resource(ScriptManager::new(engine().clone()));
    let entity = world.spawn_empty().id();
    let id = ScriptRunner::attach(
        &mut world,
        entity,
        "off.lua",
        "f = setmetatable({}, {__gc = function() print('should not run') end})",
        ScriptConfig::default(),
        Permissions::default(),
    )
    .unwrap();
    let mut manager = world.resource_mut::<ScriptManager>();
    manager.disable(id, "by the host").unwrap();
    let closed = manager.unload(id).unwrap();
    assert!(closed.output.is_empty(), "{:?}", closed.output);
}

#[test]
fn a_closed_sandbox_has_no_waiting_tasks() {
    let mut script = engine()
        .instantiate("waits.lua", &ScriptConfig::default())
        .unwrap();
    script
        .run("function on_start() task.wait(1) print('never') end")
        .unwrap();
    script.start().unwrap();
    assert_eq!(script.tasks_waiting(), 1);
    script.close().unwrap();
    assert_eq!(script.tasks_waiting(), 0);
    assert!(script.resume_due_tasks(5.0).is_empty());
    assert!(script.take_output().is_empty());
}

#[test]
fn a_script_is_not_attached_to_an_entity_that_does_not_exist() {
    let mut world = World::new();
    world.insert_resource(ScriptManager::new(engine().clone()));
    let gone = world.spawn_empty().id();
    world.despawn(gone);
    let error = ScriptRunner::attach(
        &mut world,
        gone,
        "ghost.lua",
        "print('loaded')",
        ScriptConfig::default(),
        Permissions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, ScriptError::NoSuchEntity { entity, .. } if *entity == gone.to_bits()),
        "{error:?}"
    );
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(world.resource::<ScriptManager>().ids().is_empty());
}
