//! The `task` library: waits on game time across ticks, spawn, delay,
//! cancel, errors and traps inside tasks, the cap on live tasks, and each
//! resumption as its own transaction.

use bevy_ecs::prelude::*;
use luabox::ecs::{ComponentRegistry, Permissions, ScriptId, ScriptManager, ScriptRunner};
use luabox::{ErrorKind, Limits, ScriptConfig, ScriptEngine, ScriptError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::support::test_cache;

#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Counter(i64);

/// What a script wants the test to see.
#[derive(Component, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Report(serde_json::Value);

fn engine() -> ScriptEngine {
    ScriptEngine::new(luabox::EngineConfig::default().with_cache(test_cache())).unwrap()
}

fn world() -> World {
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Counter>("Counter")
        .register::<Report>("Report");
    world.insert_resource(registry);
    world.insert_resource(ScriptManager::new(engine()));
    world
}

fn scripted(world: &mut World, source: &str) -> (Entity, ScriptId) {
    scripted_with(world, source, Limits::default())
}

fn scripted_with(world: &mut World, source: &str, limits: Limits) -> (Entity, ScriptId) {
    let entity = world.spawn(Counter(0)).id();
    let permissions = Permissions::default()
        .read(["Counter", "Report"])
        .write(["Counter", "Report"]);
    let config = ScriptConfig::default().with_limits(limits);
    let id = ScriptRunner::attach(world, entity, "tasks.lua", source, config, permissions).unwrap();
    (entity, id)
}

fn counter(world: &World, entity: Entity) -> i64 {
    world.get::<Counter>(entity).unwrap().0
}

fn report(world: &World, entity: Entity) -> serde_json::Value {
    world
        .get::<Report>(entity)
        .map_or(json!(null), |r| r.0.clone())
}

fn errors(world: &World, id: ScriptId) -> &[ScriptError] {
    world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script")
}

/// Ticks `n` times with `dt` and returns the counter after each tick.
fn counters(world: &mut World, entity: Entity, n: usize, dt: f64) -> Vec<i64> {
    (0..n)
        .map(|_| {
            ScriptRunner::tick(world, dt);
            counter(world, entity)
        })
        .collect()
}

#[test]
fn a_wait_is_game_time_and_resumes_on_the_tick_that_reaches_it() {
    let mut world = world();
    let source = r#"
        function on_start()
            ecs.insert(entity, "Counter", 1)
            local passed = task.wait(0.5)
            ecs.insert(entity, "Counter", 2)
            ecs.insert(entity, "Report", passed)
        end
    "#;
    let (entity, id) = scripted(&mut world, source);
    // Started on tick 1; 0.5 s at dt = 0.1 is five ticks later.
    assert_eq!(counters(&mut world, entity, 7, 0.1), [1, 1, 1, 1, 1, 2, 2]);
    let passed = report(&world, entity).as_f64().unwrap();
    assert!((passed - 0.5).abs() < 1e-9, "task.wait returned {passed}");
    assert!(errors(&world, id).is_empty());
}

#[test]
fn a_wait_of_nothing_is_one_tick_and_never_two_resumptions_in_one() {
    let mut world = world();
    let source = r#"
        function on_start()
            task.spawn(function()
                local n = 0
                while true do
                    n = n + 1
                    ecs.insert(entity, "Counter", n)
                    task.wait()
                end
            end)
        end
    "#;
    let (entity, _) = scripted(&mut world, source);
    // dt = 0: game time stands still, and each tick still resumes once.
    assert_eq!(counters(&mut world, entity, 4, 0.0), [1, 2, 3, 4]);
}

#[test]
fn due_tasks_run_by_wake_time_then_by_when_they_began_to_wait() {
    let mut world = world();
    let source = r#"
        local order = {}
        local function note(name)
            order[#order + 1] = name
            ecs.insert(entity, "Report", order)
        end
        function on_start()
            task.delay(0.3, note, "c")
            task.delay(0.1, note, "a")
            task.delay(0.1, note, "b")
            task.delay(0, note, "first")
        end
    "#;
    let (entity, _) = scripted(&mut world, source);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(
        report(&world, entity),
        json!(null),
        "nothing runs in the tick it was made"
    );
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(report(&world, entity), json!(["first", "a", "b"]));
    ScriptRunner::tick(&mut world, 0.1);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(report(&world, entity), json!(["first", "a", "b", "c"]));
}

#[test]
fn many_tasks_in_one_script_each_keep_their_own_place() {
    let mut world = world();
    let source = r#"
        local total = 0
        function on_start()
            for i = 1, 200 do
                task.spawn(function()
                    for step = 1, i % 5 + 1 do task.wait(0.1) end
                    total = total + 1
                    ecs.insert(entity, "Counter", total)
                end)
            end
        end
    "#;
    let (entity, id) = scripted(&mut world, source);
    // Tasks with i % 5 == k end after k + 1 waits, 40 of each.
    assert_eq!(
        counters(&mut world, entity, 7, 0.1),
        [0, 40, 80, 120, 160, 200, 200]
    );
    assert!(errors(&world, id).is_empty());
}

#[test]
fn cancel_stops_a_waiting_task_and_a_running_one_at_its_next_wait() {
    let mut world = world();
    let source = r#"
        function on_start()
            local delayed = task.delay(0.1, function() ecs.insert(entity, "Counter", 100) end)
            local first, second = task.cancel(delayed), task.cancel(delayed)
            local me
            me = task.spawn(function()
                task.wait()
                ecs.insert(entity, "Counter", 1)
                task.cancel(me)
                ecs.insert(entity, "Report", "went on to the wait")
                task.wait()
                ecs.insert(entity, "Counter", 2)
            end)
            ecs.insert(entity, "Report", {first, second, task.cancel(12345)})
        end
    "#;
    let (entity, id) = scripted(&mut world, source);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(report(&world, entity), json!([true, false, false]));
    assert_eq!(counters(&mut world, entity, 4, 0.1), [1, 1, 1, 1]);
    assert_eq!(report(&world, entity), json!("went on to the wait"));
    assert!(errors(&world, id).is_empty());
}

#[test]
fn a_failing_task_is_reported_with_its_line_and_the_others_go_on() {
    let mut world = world();
    let source = "function on_start()
    task.delay(0.1, function()
        ecs.insert(entity, 'Report', 'lost')
        error('the bridge is out')
    end)
    task.delay(0.1, function() ecs.insert(entity, 'Counter', 7) end)
end
function on_update() ecs.insert(entity, 'Report', 'updated') end
";
    let (entity, id) = scripted(&mut world, source);
    ScriptRunner::tick(&mut world, 0.1);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(counter(&world, entity), 7, "the other task ran");
    assert_eq!(report(&world, entity), json!("updated"), "and on_update");
    let errors = errors(&world, id);
    assert_eq!(errors.len(), 1);
    let error = &errors[0];
    assert_eq!(error.kind(), ErrorKind::Runtime);
    assert!(
        error.to_string().contains("tasks.lua:4: the bridge is out"),
        "{error}"
    );
    let ScriptError::Runtime {
        line, traceback, ..
    } = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*line, Some(4));
    let traceback = traceback.as_deref().unwrap_or_default();
    assert!(traceback.contains("tasks.lua:4"), "{traceback}");
}

#[test]
fn a_trap_ends_every_pending_task_and_the_restart_starts_clean() {
    let mut world = world();
    let source = r#"
        function on_start()
            local runs = (ecs.get(entity, "Report") or 0) + 1
            ecs.insert(entity, "Report", runs)
            task.delay(0.5, function() ecs.insert(entity, "Counter", 99) end)
            if runs == 1 then task.delay(0.1, function() while true do end end) end
        end
    "#;
    let (entity, id) = scripted_with(&mut world, source, Limits::default().with_fuel(20_000_000));
    ScriptRunner::tick(&mut world, 0.1);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(
        errors(&world, id).last().map(ScriptError::kind),
        Some(ErrorKind::Fuel)
    );
    // Tick 3 restarts the sandbox and runs on_start again, with new tasks:
    // the old 0.5 s task (due on tick 6) is gone, the new one is due on
    // tick 8.
    assert_eq!(counters(&mut world, entity, 6, 0.1), [0, 0, 0, 0, 0, 99]);
    assert_eq!(report(&world, entity), json!(2));
}

#[test]
fn a_flood_of_tasks_stops_at_the_cap() {
    let mut world = world();
    let source = r#"
        function on_start()
            local made, refusal = 0, nil
            for i = 1, 100 do
                local ok, err = pcall(task.delay, 1, function() end)
                if ok then made = made + 1 else refusal = err end
            end
            ecs.insert(entity, "Counter", made)
            ecs.insert(entity, "Report", refusal)
        end
    "#;
    let limits = Limits::default().with_tasks(10);
    let (entity, _) = scripted_with(&mut world, source, limits.clone());
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(counter(&world, entity), 10);
    let refusal = report(&world, entity);
    assert!(
        refusal
            .as_str()
            .unwrap()
            .contains("too many tasks (at most 10 alive at once)"),
        "{refusal}"
    );

    // Callbacks that wait count too: each tick's on_update adds one.
    let source = r#"function on_update() task.wait(100) end"#;
    let (_, id) = scripted_with(&mut world, source, limits);
    for _ in 0..12 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    let errors = errors(&world, id);
    assert_eq!(errors.len(), 2, "ticks 11 and 12");
    assert!(
        errors[0].to_string().contains("too many tasks"),
        "{}",
        errors[0]
    );
}

#[test]
fn only_a_task_can_wait() {
    let engine = engine();
    let mut script = engine
        .instantiate("plain.lua", &ScriptConfig::default())
        .unwrap();
    let error = script.run("task.wait(1)").unwrap_err();
    assert!(
        error.to_string().contains("only a task can wait"),
        "{error}"
    );
    let error = script
        .run("return coroutine.wrap(function() task.wait() end)()")
        .unwrap_err();
    assert!(
        error.to_string().contains("only a task can wait"),
        "{error}"
    );
    let error = script.run("task.wait(0/0)").unwrap_err();
    assert!(error.to_string().contains("seconds is NaN"), "{error}");

    let mut world = world();
    let source = r#"
        function on_update()
            local ok, err = pcall(table.sort, {3, 2, 1}, function(a, b) task.wait() return a < b end)
            ecs.insert(entity, "Report", err)
        end
    "#;
    let (entity, _) = scripted(&mut world, source);
    let (_, yielder) = scripted(&mut world, "function on_update()\n  coroutine.yield()\nend");
    ScriptRunner::tick(&mut world, 0.1);
    let refusal = report(&world, entity);
    let refusal = refusal.as_str().unwrap_or_default();
    assert!(
        refusal.contains("cannot wait inside a function called from C"),
        "{refusal}"
    );
    let error = errors(&world, yielder).last().unwrap();
    assert!(
        error
            .message()
            .starts_with("tasks.lua:2: coroutine.yield outside a coroutine of the script's own"),
        "{error}"
    );
    assert_eq!(error.line(), Some(2));
    assert!(
        error
            .traceback()
            .is_some_and(|traceback| traceback.contains("tasks.lua:2: in function")),
        "{error:?}"
    );
}

#[test]
fn a_tasks_thread_cannot_be_resumed_or_closed_by_the_script() {
    let mut world = world();
    // `coroutine.running()` in a task is its thread: another task may hold
    // it, but neither cut its wait short nor kill it under the scheduler.
    let source = r#"
        local waiting
        function on_start()
            task.spawn(function()
                waiting = coroutine.running()
                local passed = task.wait(0.3)
                ecs.insert(entity, "Counter", type(passed) == "number" and passed > 0.29 and 1 or -1)
            end)
            task.spawn(function()
                task.wait()
                local resumed = {pcall(coroutine.resume, waiting, "forged")}
                local closed = {pcall(coroutine.close, waiting)}
                ecs.insert(entity, "Report", {resumed[2], closed[2], coroutine.status(waiting)})
            end)
        end
    "#;
    let (entity, id) = scripted(&mut world, source);
    ScriptRunner::tick(&mut world, 0.1);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(
        report(&world, entity),
        json!([
            "coroutine.resume: a task resumes when its wait is over, not by coroutine.resume",
            "coroutine.close: a task stops with task.cancel",
            "suspended"
        ])
    );
    assert_eq!(counter(&world, entity), 0, "the wait was not cut short");
    ScriptRunner::tick(&mut world, 0.1);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(counter(&world, entity), 1);
    assert!(errors(&world, id).is_empty(), "{:?}", errors(&world, id));
    // The script's own coroutines resume and close as in Lua.
    let source = r#"
        function on_update()
            local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
            local _, first = coroutine.resume(co, 1)
            local _, second = coroutine.resume(co, 5)
            local idle = coroutine.create(function() coroutine.yield() end)
            coroutine.resume(idle)
            ecs.insert(entity, "Report", {first, second, coroutine.close(idle), coroutine.status(idle)})
        end
    "#;
    let (entity, id) = scripted(&mut world, source);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(report(&world, entity), json!([2, 10, true, "dead"]));
    assert!(errors(&world, id).is_empty(), "{:?}", errors(&world, id));
}

#[test]
fn a_failed_on_start_is_reported_once_and_the_script_goes_on() {
    let mut world = world();
    let source = r#"
        local updates = 0
        function on_start()
            task.spawn(function() task.wait() ecs.insert(entity, "Report", "task ran") end)
            error("no start")
        end
        function on_update()
            updates = updates + 1
            ecs.insert(entity, "Counter", updates)
        end
    "#;
    let (entity, id) = scripted(&mut world, source);
    let seen = counters(&mut world, entity, 3, 0.1);
    assert_eq!(seen, [1, 2, 3], "on_update runs from the first tick");
    let errors = errors(&world, id);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message().contains("no start"), "{errors:?}");
    // on_start's failed call rolled back; the task it spawned was part of
    // its state, not of the world, and runs.
    assert_eq!(report(&world, entity), json!("task ran"));
}

#[test]
fn each_stretch_of_a_task_is_its_own_transaction() {
    let mut world = world();
    let source = r#"
        function on_start()
            ecs.insert(entity, "Counter", 1)
            task.wait(0.1)
            ecs.insert(entity, "Counter", 2)
            task.wait(0.1)
            ecs.insert(entity, "Counter", 3)
            error("no")
        end
    "#;
    let (entity, id) = scripted(&mut world, source);
    assert_eq!(counters(&mut world, entity, 4, 0.1), [1, 2, 2, 2]);
    assert_eq!(errors(&world, id).len(), 1);
}

#[test]
fn the_same_ticks_give_the_same_world_and_fuel() {
    let run = || {
        let mut world = world();
        let source = r#"
            function on_start()
                for i = 1, 20 do
                    task.delay(i * 0.05, function()
                        local c = ecs.get(entity, "Counter")
                        ecs.insert(entity, "Counter", c * 3 + i)
                    end)
                end
            end
        "#;
        let (entity, id) = scripted(&mut world, source);
        let mut fuel = Vec::new();
        for _ in 0..15 {
            ScriptRunner::tick(&mut world, 0.1);
            fuel.push(
                world
                    .resource::<ScriptManager>()
                    .fuel_used(id)
                    .expect("a loaded script"),
            );
        }
        (counter(&world, entity), fuel)
    };
    let first = run();
    assert_eq!(first, run());
    assert_ne!(first.0, 0);
}

#[test]
fn a_scripts_tasks_share_one_calls_fuel_a_tick() {
    let mut world = world();
    // Each task burns about 40% of the fuel limit.
    let source = r#"
        function on_start()
            for i = 1, 5 do
                task.delay(0.1, function()
                    local x = 0
                    for step = 1, 100000 do x = x + step end
                    ecs.insert(entity, "Counter", ecs.get(entity, "Counter") + 1)
                end)
            end
        end
    "#;
    let (probe, probe_id) = scripted(&mut world, source);
    counters(&mut world, probe, 2, 0.1);
    let per_task = world
        .resource::<ScriptManager>()
        .fuel_used(probe_id)
        .expect("a loaded script")
        / 5;
    assert_eq!(
        counter(&world, probe),
        5,
        "with the default fuel all run at once"
    );

    // Two and a half tasks' fuel: two finish, the third runs with the half
    // that is left and runs out of it, which ends the sandbox (its tasks
    // with it); the restarted script's on_start delays five more.
    let mut world = self::world();
    let budget = per_task * 5 / 2;
    let limits = Limits::default().with_fuel(budget);
    let (entity, id) = scripted_with(&mut world, source, limits);
    assert_eq!(counters(&mut world, entity, 2, 0.1), [0, 2]);
    let used = world
        .resource::<ScriptManager>()
        .fuel_used(id)
        .expect("a loaded script");
    assert!(
        used <= budget,
        "the tick's task calls used {used} of {budget}"
    );
    let error = errors(&world, id).last().expect("the third task's error");
    assert_eq!(error.kind(), ErrorKind::Fuel);
    assert!(
        error
            .to_string()
            .contains("what was left this tick of one call's"),
        "{error}"
    );
    assert_eq!(counters(&mut world, entity, 2, 0.1), [2, 4]);
}

#[test]
fn an_instance_driven_without_a_runner_resumes_its_tasks() {
    let engine = engine();
    let mut script = engine
        .instantiate("bare.lua", &ScriptConfig::default())
        .unwrap();
    script
        .run(
            r#"
            log = {}
            function on_update(dt)
                task.wait(0.25)
                log[#log + 1] = "woke"
            end
            task_errors = 0
            function on_start()
                task.spawn(function() task.wait() error("task fails") end)
                task.spawn(function() task.wait() log[#log + 1] = "sibling" end)
            end
            "#,
        )
        .unwrap();
    script.start().unwrap();
    // Tick 1: the two spawned tasks are due (one tick), one fails.
    let errors = script.resume_due_tasks(0.1);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].to_string().contains("bare.lua:9: task fails"),
        "{errors:?}"
    );
    script.update(0.1).unwrap();
    assert_eq!(script.run("return log").unwrap(), json!(["sibling"]));
    // on_update waited 0.25 s from 0.1: due at 0.35, on tick 4 (0.4).
    for _ in 0..2 {
        assert!(script.resume_due_tasks(0.1).is_empty());
    }
    assert_eq!(script.run("return log").unwrap(), json!(["sibling"]));
    assert!(script.resume_due_tasks(0.1).is_empty());
    assert_eq!(
        script.run("return log").unwrap(),
        json!(["sibling", "woke"])
    );
    assert_eq!(script.tasks_waiting(), 0);
}

#[test]
fn an_instances_due_tasks_share_one_calls_fuel() {
    let engine = engine();
    let config = ScriptConfig::default().with_limits(Limits::default().with_fuel(20_000_000));
    let mut script = engine.instantiate("greedy.lua", &config).unwrap();
    // 50 tasks due at once, each burning a good part of a call's fuel.
    script
        .run(
            r#"
            woke = 0
            function on_start()
                for i = 1, 50 do
                    task.delay(0, function()
                        woke = woke + 1
                        local n = 0
                        for j = 1, 30000 do n = n + j end
                    end)
                end
            end
            "#,
        )
        .unwrap();
    script.start().unwrap();
    // The tasks run one after the other with what is left of one call's
    // fuel: the one that finds too little runs out of it, and the sandbox
    // ends there.
    let errors = script.resume_due_tasks(0.1);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind(), ErrorKind::Fuel);
    assert!(
        errors[0]
            .to_string()
            .contains("what was left this tick of one call's 20000000 units"),
        "{errors:?}"
    );
    assert!(script.terminated().is_some());
    assert!(script.resume_due_tasks(0.1).is_empty());

    // Tasks that fit in the share all run, and the next tick's share is
    // whole again.
    let mut script = engine.instantiate("modest.lua", &config).unwrap();
    script
        .run(
            r#"
            woke = 0
            function on_start()
                for i = 1, 10 do
                    task.delay(0.1 * (i % 2), function()
                        woke = woke + 1
                        local n = 0
                        for j = 1, 3000 do n = n + j end
                    end)
                end
            end
            "#,
        )
        .unwrap();
    script.start().unwrap();
    assert!(script.resume_due_tasks(0.1).is_empty());
    assert!(script.resume_due_tasks(0.1).is_empty());
    assert_eq!(script.run("return woke").unwrap(), json!(10));
}
