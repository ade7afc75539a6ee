//! Scripts and a real bevy_ecs World: movement, spawning, queries,
//! permissions, transactions, hot reload, stale entities, bad values,
//! console quotas, isolation.

use bevy_ecs::prelude::*;
use luabox::ecs::{
    ComponentRegistry, Permissions, ScriptConsole, ScriptEvents, ScriptId, ScriptManager,
    ScriptRunner, ScriptStatus, run_scripts,
};
use luabox::{Limits, ScriptConfig, ScriptEngine, ScriptError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::support::test_cache;

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
struct Frozen;

#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Counter(i64);

fn world() -> World {
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Position>("Position")
        .register::<Velocity>("Velocity")
        .register::<Frozen>("Frozen")
        .register::<Counter>("Counter");
    world.insert_resource(registry);
    let engine =
        ScriptEngine::new(luabox::EngineConfig::default().with_cache(test_cache())).unwrap();
    world.insert_resource(ScriptManager::new(engine));
    world
}

fn attach(world: &mut World, entity: Entity, source: &str, permissions: Permissions) -> ScriptId {
    attach_with(world, entity, source, permissions, ScriptConfig::default())
}

fn attach_with(
    world: &mut World,
    entity: Entity,
    source: &str,
    permissions: Permissions,
    config: ScriptConfig,
) -> ScriptId {
    ScriptRunner::attach(world, entity, "script.lua", source, config, permissions).unwrap()
}

fn manager(world: &World) -> &ScriptManager {
    world.resource::<ScriptManager>()
}

fn last_error(world: &World, id: ScriptId) -> String {
    manager(world)
        .errors(id)
        .expect("a loaded script")
        .last()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

const MOVER: &str = r#"
function on_update(dt)
    local p = ecs.get(entity, "Position")
    local v = ecs.get(entity, "Velocity")
    ecs.insert(entity, "Position", {x = p.x + v.x * dt, y = p.y + v.y * dt})
end
"#;

fn mover_permissions() -> Permissions {
    Permissions::default()
        .read(["Position", "Velocity"])
        .write(["Position"])
}

#[test]
fn movement_over_ticks() {
    let mut world = world();
    let player = world
        .spawn((Position { x: 0.0, y: 0.0 }, Velocity { x: 1.0, y: 2.0 }))
        .id();
    let id = attach(&mut world, player, MOVER, mover_permissions());
    for _ in 0..4 {
        ScriptRunner::tick(&mut world, 0.5);
    }
    assert_eq!(
        world.get::<Position>(player),
        Some(&Position { x: 2.0, y: 4.0 })
    );
    assert_eq!(manager(&world).status(id), Some(&ScriptStatus::Active));
    assert!(manager(&world).fuel_used(id).expect("a loaded script") > 0);
}

#[test]
fn works_as_a_bevy_system() {
    let mut world = world();
    let player = world
        .spawn((Position { x: 0.0, y: 0.0 }, Velocity { x: 60.0, y: 0.0 }))
        .id();
    attach(&mut world, player, MOVER, mover_permissions());
    let mut schedule = Schedule::default();
    schedule.add_systems(run_scripts);
    schedule.run(&mut world);
    schedule.run(&mut world);
    assert_eq!(
        world.get::<Position>(player),
        Some(&Position { x: 2.0, y: 0.0 })
    );
}

#[test]
fn scripts_spawn_and_despawn() {
    let mut world = world();
    let spawner = world.spawn_empty().id();
    let source = r#"
        local spawned
        function on_update()
            if spawned == nil then
                spawned = ecs.spawn{Position = {x = 5, y = 6}, Counter = 1}
                assert(ecs.exists(spawned))
                assert(ecs.get(spawned, "Position").x == 5)
            else
                ecs.despawn(spawned)
                assert(not ecs.exists(spawned))
            end
        end
    "#;
    let permissions = Permissions::default()
        .read(["Position"])
        .write(["Position", "Counter"])
        .spawn_and_despawn();
    let id = attach(&mut world, spawner, source, permissions);
    ScriptRunner::tick(&mut world, 0.0);
    let mut positions = world.query::<(Entity, &Position, &Counter)>();
    let found: Vec<_> = positions
        .iter(&world)
        .map(|(e, p, c)| (e, *p, *c))
        .collect();
    assert_eq!(found.len(), 1, "{}", last_error(&world, id));
    assert_eq!(found[0].1, Position { x: 5.0, y: 6.0 });
    assert_eq!(found[0].2, Counter(1));
    let spawned = found[0].0;
    ScriptRunner::tick(&mut world, 0.0);
    assert!(
        world.get_entity(spawned).is_err(),
        "{}",
        last_error(&world, id)
    );
}

#[test]
fn queries_with_and_without() {
    let mut world = world();
    let a = world
        .spawn((Position { x: 1.0, y: 0.0 }, Velocity { x: 0.0, y: 0.0 }))
        .id();
    let _b = world
        .spawn((
            Position { x: 2.0, y: 0.0 },
            Velocity { x: 0.0, y: 0.0 },
            Frozen,
        ))
        .id();
    let _c = world.spawn(Position { x: 3.0, y: 0.0 }).id();
    let observer = world.spawn(Counter(0)).id();
    let source = r#"
        function on_update()
            local moving = ecs.query("Position", "Velocity", {without = {"Frozen"}})
            local all = ecs.query("Position")
            local sum = 0
            for _, e in ipairs(all) do sum = sum + math.tointeger(ecs.get(e, "Position").x) end
            ecs.insert(entity, "Counter", #moving * 1000 + #all * 100 + sum)
            assert(moving[1] == ...)
        end
    "#
    .replace("...", &(a.to_bits() as i64).to_string());
    let permissions = Permissions::default()
        .read(["Position", "Velocity", "Frozen"])
        .write(["Counter"]);
    let id = attach(&mut world, observer, &source, permissions);
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(
        world.get::<Counter>(observer),
        Some(&Counter(1306)),
        "{}",
        last_error(&world, id)
    );
}

/// Runs `body` as on_update with `permissions`; returns the error text the
/// script caught with pcall, and asserts the world kept its Position.
fn denied(body: &str, permissions: Permissions) -> String {
    let mut world = world();
    let target = world
        .spawn((Position { x: 1.0, y: 1.0 }, Velocity { x: 0.0, y: 0.0 }))
        .id();
    let source = format!(
        "function on_update() local ok, err = pcall(function() {body} end) \
         assert(not ok) log.error(err) end"
    );
    let id = attach(&mut world, target, &source, permissions);
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(
        world.get::<Position>(target),
        Some(&Position { x: 1.0, y: 1.0 })
    );
    assert_eq!(
        manager(&world).violations(id).expect("a loaded script"),
        1,
        "{}",
        last_error(&world, id)
    );
    let console = world.resource::<ScriptConsole>();
    console
        .messages()
        .last()
        .map(|entry| entry.text.clone())
        .unwrap_or_default()
}

#[test]
fn reading_without_permission_is_denied() {
    let message = denied("return ecs.get(entity, 'Position')", Permissions::default());
    assert!(
        message.contains("permission denied") && message.contains("read Position"),
        "{message}"
    );
    let message = denied("return ecs.query('Position')", Permissions::default());
    assert!(message.contains("read Position"), "{message}");
}

#[test]
fn writing_without_permission_is_denied() {
    let message = denied(
        "ecs.insert(entity, 'Position', {x = 9, y = 9})",
        Permissions::default().read(["Position"]),
    );
    assert!(message.contains("write Position"), "{message}");
}

#[test]
fn spawning_and_despawning_without_permission_are_denied() {
    let write_all = Permissions::default().write(["Position"]);
    let message = denied("ecs.spawn{Position = {x = 0, y = 0}}", write_all.clone());
    assert!(message.contains("spawn"), "{message}");
    let message = denied("ecs.despawn(entity)", write_all);
    assert!(message.contains("despawn"), "{message}");
}

#[test]
fn a_script_is_disabled_after_too_many_violations_and_can_be_re_enabled() {
    let mut world = world();
    world.resource_mut::<ScriptManager>().set_max_violations(2);
    let target = world.spawn(Counter(0)).id();
    let source = r#"
        ticks = (ticks or 0) + 1
        function on_update()
            ticks = ticks + 1
            pcall(ecs.get, entity, "Position")
            ecs.insert(entity, "Counter", ticks)
        end
    "#;
    let id = attach(
        &mut world,
        target,
        source,
        Permissions::default().write(["Counter"]),
    );
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(manager(&world).status(id), Some(&ScriptStatus::Active));
    ScriptRunner::tick(&mut world, 0.0);
    let Some(ScriptStatus::Disabled { reason }) = manager(&world).status(id) else {
        panic!("not disabled: {:?}", manager(&world).status(id));
    };
    assert!(reason.contains("2 permission violations"), "{reason}");
    let frozen = *world.get::<Counter>(target).unwrap();
    ScriptRunner::tick(&mut world, 0.0);
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(
        world.get::<Counter>(target),
        Some(&frozen),
        "a disabled script does not run"
    );
    // Reloading does not re-enable it.
    world
        .resource_mut::<ScriptManager>()
        .reload(id, source)
        .unwrap();
    assert!(matches!(
        manager(&world).status(id),
        Some(ScriptStatus::Disabled { .. })
    ));
    world
        .resource_mut::<ScriptManager>()
        .enable(id)
        .expect("a loaded script");
    ScriptRunner::tick(&mut world, 0.0);
    assert_ne!(world.get::<Counter>(target), Some(&frozen));
}

fn rollback_case(bomb: &str, limits: Limits, expected_kind: &str) {
    let mut world = world();
    let a = world.spawn(Position { x: 0.0, y: 0.0 }).id();
    let b = world.spawn(Position { x: 0.0, y: 0.0 }).id();
    let spawn_perms = Permissions::default()
        .read(["Position"])
        .write(["Position"])
        .spawn_and_despawn();
    let failing = format!(
        "function on_update() ecs.insert(entity, 'Position', {{x = 99, y = 99}}) \
         ecs.spawn{{Position = {{x = 1, y = 1}}}} {bomb} end"
    );
    let config = ScriptConfig::default().with_limits(limits);
    let bad = attach_with(&mut world, a, &failing, spawn_perms.clone(), config);
    let good = attach(
        &mut world,
        b,
        "function on_update() ecs.insert(entity, 'Position', {x = 7, y = 7}) end",
        spawn_perms,
    );
    let positions = |world: &mut World| world.query::<&Position>().iter(world).count();
    let entities_before = positions(&mut world);
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(world.get::<Position>(a), Some(&Position { x: 0.0, y: 0.0 }));
    assert_eq!(world.get::<Position>(b), Some(&Position { x: 7.0, y: 7.0 }));
    assert_eq!(positions(&mut world), entities_before);
    let errors = manager(&world).errors(bad).expect("a loaded script");
    assert_eq!(
        errors.last().map(|error| error.kind().as_str()),
        Some(expected_kind),
        "{errors:?}"
    );
    assert!(
        manager(&world)
            .errors(good)
            .expect("a loaded script")
            .is_empty()
    );
    // The next tick runs normally (the trapped script gets a fresh instance).
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(world.get::<Position>(a), Some(&Position { x: 0.0, y: 0.0 }));
    assert_eq!(
        manager(&world).errors(bad).expect("a loaded script").len(),
        2
    );
}

#[test]
fn a_script_out_of_fuel_mid_update_changes_nothing() {
    rollback_case(
        "while true do end",
        Limits::default().with_fuel(20_000_000),
        "fuel",
    );
}

#[test]
fn a_script_out_of_memory_mid_update_changes_nothing() {
    rollback_case(
        "local s = 'x' while true do s = s .. s end",
        Limits::default().with_memory(8 << 20),
        "memory",
    );
}

#[test]
fn a_script_out_of_time_mid_update_changes_nothing() {
    rollback_case(
        "while true do end",
        Limits::default()
            .with_fuel(u64::MAX / 2)
            .with_timeout(std::time::Duration::from_millis(20)),
        "timeout",
    );
}

#[test]
fn a_script_error_mid_update_changes_nothing() {
    rollback_case("error('boom')", Limits::default(), "runtime");
}

#[test]
fn hot_reload_with_a_good_and_a_broken_version() {
    let mut world = world();
    let target = world.spawn(Counter(0)).id();
    let v1 = "function on_update() ecs.insert(entity, 'Counter', 1) end";
    let id = attach(
        &mut world,
        target,
        v1,
        Permissions::default().write(["Counter"]),
    );
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(world.get::<Counter>(target), Some(&Counter(1)));

    let broken = "function on_update() ecs.insert(entity, 'Counter', 2)";
    let error = world
        .resource_mut::<ScriptManager>()
        .reload(id, broken)
        .unwrap_err();
    assert!(
        matches!(error.error, ScriptError::Syntax { .. }),
        "{error:?}"
    );
    assert_eq!(manager(&world).source(id), Some(v1.as_bytes()));
    world.entity_mut(target).insert(Counter(0));
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(
        world.get::<Counter>(target),
        Some(&Counter(1)),
        "old version still runs"
    );

    let v2 = "function on_update() ecs.insert(entity, 'Counter', 2) end";
    world
        .resource_mut::<ScriptManager>()
        .reload(id, v2)
        .unwrap();
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(world.get::<Counter>(target), Some(&Counter(2)));
}

#[test]
fn stale_and_forged_entities_are_errors_never_other_entities() {
    let mut world = world();
    let victim = world.spawn(Position { x: 1.0, y: 1.0 }).id();
    let observer = world.spawn(Counter(0)).id();
    let source = format!(
        r#"
        local victim = {victim}
        function on_update()
            local ok1, e1 = pcall(ecs.get, victim, "Position")
            local ok2, e2 = pcall(ecs.get, 123456789, "Position")
            local ok3, e3 = pcall(ecs.insert, victim, "Position", {{x = 0, y = 0}})
            log.info(tostring(ok1), e1, tostring(ok2), e2, tostring(ok3), e3, tostring(ecs.exists(victim)))
        end
        "#,
        victim = victim.to_bits() as i64
    );
    let permissions = Permissions::default()
        .read(["Position"])
        .write(["Position"]);
    attach(&mut world, observer, &source, permissions);
    world.despawn(victim);
    // Another entity with a Position the stale id must never reach.
    let reused = world.spawn(Position { x: 42.0, y: 42.0 }).id();
    ScriptRunner::tick(&mut world, 0.0);
    let line = world
        .resource::<ScriptConsole>()
        .messages()
        .last()
        .unwrap()
        .text
        .clone();
    let parts: Vec<&str> = line.split('\t').collect();
    assert_eq!(parts[0], "false", "{line}");
    assert!(parts[1].contains("does not exist"), "{line}");
    assert_eq!(parts[2], "false", "{line}");
    assert_eq!(parts[4], "false", "{line}");
    assert_eq!(parts[6], "false", "{line}");
    assert_eq!(
        world.get::<Position>(reused),
        Some(&Position { x: 42.0, y: 42.0 })
    );
}

#[test]
fn a_value_of_the_wrong_shape_is_rejected_naming_line_component_and_field() {
    let mut world = world();
    let target = world.spawn(Position { x: 1.0, y: 1.0 }).id();
    let source = "function on_update() ecs.insert(entity, 'Position', {x = 'left', y = 2}) end";
    let id = attach(
        &mut world,
        target,
        source,
        Permissions::default().write(["Position"]),
    );
    ScriptRunner::tick(&mut world, 0.0);
    let error = last_error(&world, id);
    assert!(
        error.contains("script.lua:1: ecs.insert: bad value for component Position: field `x`"),
        "{error}"
    );
    assert_eq!(
        world.get::<Position>(target),
        Some(&Position { x: 1.0, y: 1.0 })
    );
}

#[test]
fn console_keeps_per_script_quotas_and_counts_drops() {
    let mut world = world();
    world.insert_resource(ScriptConsole::new(50, 10));
    let chatty = world.spawn_empty().id();
    let quiet = world.spawn_empty().id();
    let chatty_id = attach(
        &mut world,
        chatty,
        "function on_update() for i = 1, 30 do print('spam', i) end end",
        Permissions::default(),
    );
    attach(
        &mut world,
        quiet,
        "function on_update() log.warn('careful') end",
        Permissions::default(),
    );
    ScriptRunner::tick(&mut world, 0.0);
    let console = world.resource::<ScriptConsole>();
    let chatty_lines: Vec<_> = console
        .messages()
        .filter(|m| m.entity == Some(chatty))
        .collect();
    assert_eq!(chatty_lines.len(), 10);
    assert_eq!(console.dropped(), 20);
    let warning = console
        .messages()
        .find(|m| m.entity == Some(quiet))
        .unwrap();
    assert_eq!(
        (warning.level, warning.text.as_str(), warning.tick),
        (luabox::ConsoleLevel::Warn, "careful", 1)
    );
    assert_eq!(chatty_lines[0].script, "script.lua");
    assert_eq!(
        manager(&world).status(chatty_id),
        Some(&ScriptStatus::Active)
    );
}

#[test]
fn a_script_without_console_permission_cannot_print() {
    let mut world = world();
    let target = world.spawn_empty().id();
    let permissions = Permissions {
        console: false,
        ..Permissions::default()
    };
    let id = attach(
        &mut world,
        target,
        "function on_update() print('hi') end",
        permissions,
    );
    ScriptRunner::tick(&mut world, 0.0);
    assert!(last_error(&world, id).contains("may not use the console"));
    assert_eq!(world.resource::<ScriptConsole>().messages().count(), 0);
}

#[test]
fn scripts_see_their_own_pending_writes_but_not_each_others_globals() {
    let mut world = world();
    let a = world.spawn(Position { x: 0.0, y: 0.0 }).id();
    let b = world.spawn(Position { x: 0.0, y: 0.0 }).id();
    let rw = Permissions::default()
        .read(["Position"])
        .write(["Position"]);
    let writer = r#"
        shared = "from a"
        function on_update()
            ecs.insert(entity, "Position", {x = 1, y = 1})
            assert(ecs.get(entity, "Position").x == 1, "reads its own pending write")
            ecs.remove(entity, "Position")
            assert(ecs.get(entity, "Position") == nil)
            ecs.insert(entity, "Position", {x = 3, y = 3})
            error("give up")
        end
    "#;
    let reader = format!(
        r#"
        function on_update()
            assert(shared == nil, "globals are private")
            local other = ecs.get({a}, "Position")
            ecs.insert(entity, "Position", {{x = other.x + 10, y = 0}})
        end
        "#,
        a = a.to_bits() as i64
    );
    let writer_id = attach(&mut world, a, writer, rw.clone());
    let reader_id = attach(&mut world, b, &reader, rw);
    ScriptRunner::tick(&mut world, 0.0);
    assert!(last_error(&world, writer_id).contains("give up"));
    assert!(
        manager(&world)
            .errors(reader_id)
            .expect("a loaded script")
            .is_empty(),
        "{}",
        last_error(&world, reader_id)
    );
    assert_eq!(world.get::<Position>(a), Some(&Position { x: 0.0, y: 0.0 }));
    assert_eq!(
        world.get::<Position>(b),
        Some(&Position { x: 10.0, y: 0.0 })
    );
}

#[test]
fn events_reach_on_event_before_on_update() {
    let mut world = world();
    let target = world.spawn(Counter(0)).id();
    let source = r#"
        local seen = 0
        function on_event(name, payload) if name == "hit" then seen = seen + payload.damage end end
        function on_update() ecs.insert(entity, "Counter", seen) end
    "#;
    attach(
        &mut world,
        target,
        source,
        Permissions::default().write(["Counter"]).receive(["hit"]),
    );
    world.insert_resource(ScriptEvents(vec![
        ("hit".into(), json!({"damage": 5})),
        ("hit".into(), json!({"damage": 2})),
    ]));
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(world.get::<Counter>(target), Some(&Counter(7)));
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(
        world.get::<Counter>(target),
        Some(&Counter(7)),
        "events are delivered once"
    );
}

#[test]
fn the_world_is_unreachable_while_loading() {
    let mut world = world();
    let target = world.spawn_empty().id();
    let error = ScriptRunner::attach(
        &mut world,
        target,
        "early.lua",
        "ecs.spawn{}",
        ScriptConfig::default(),
        Permissions::default().spawn_and_despawn(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("not available"), "{error}");
}

#[test]
fn forged_entities_never_reach_resources() {
    let mut world = world();
    let target = world.spawn(Counter(0)).id();
    let source = r#"
        function on_update()
            local hits = 0
            for index = 0, 2000 do
                for generation = 0, 3 do
                    local forged = index | (generation << 32)
                    if forged ~= entity and ecs.exists(forged) then hits = hits + 1 end
                    pcall(ecs.despawn, forged)
                end
            end
            ecs.insert(entity, "Counter", hits)
        end
    "#;
    let permissions = Permissions::default()
        .write(["Counter"])
        .spawn_and_despawn();
    let id = attach(&mut world, target, source, permissions);
    ScriptRunner::tick(&mut world, 0.0);
    assert_eq!(
        world.get::<Counter>(target),
        Some(&Counter(0)),
        "{}",
        last_error(&world, id)
    );
    assert!(world.get_resource::<ScriptManager>().is_some());
    assert!(world.get_resource::<ComponentRegistry>().is_some());
    ScriptRunner::tick(&mut world, 0.0);
    assert!(
        manager(&world)
            .errors(id)
            .expect("a loaded script")
            .is_empty(),
        "{}",
        last_error(&world, id)
    );
}

#[test]
fn an_uncaught_refusal_ends_the_call_as_permission_denied() {
    let mut world = world();
    let target = world.spawn(Position { x: 1.0, y: 1.0 }).id();
    let source = "function on_update()\n  ecs.insert(entity, 'Position', {x = 2, y = 2})\nend";
    let id = attach(&mut world, target, source, Permissions::default());
    ScriptRunner::tick(&mut world, 0.0);
    let errors = manager(&world).errors(id).expect("a loaded script");
    let Some(error @ ScriptError::PermissionDenied { message, .. }) = errors.last() else {
        panic!("{errors:?}");
    };
    assert_eq!(
        message,
        "script.lua:2: ecs.insert: permission denied: script.lua may not write Position"
    );
    assert_eq!(error.line(), Some(2));
    assert!(
        error
            .traceback()
            .is_some_and(|traceback| traceback.contains("script.lua:2: in function 'on_update'")),
        "{error:?}"
    );
    assert_eq!(error.kind(), luabox::ErrorKind::Permission);
}

#[test]
fn an_ecs_error_names_the_line_and_the_function() {
    let mut world = world();
    let own = world.spawn_empty().id();
    let source = "function on_update()\n\
                    print(pcall(ecs.get, 12345, 'Position'))\n\
                    print(select(2, pcall(function() return ecs.has(entity, 'Nope') end)))\n\
                    ecs.get(12345, 'Position')\n\
                  end";
    let id = attach(&mut world, own, source, mover_permissions());
    ScriptRunner::tick(&mut world, 0.0);
    let printed: Vec<String> = world
        .resource::<ScriptConsole>()
        .messages()
        .map(|entry| entry.text.clone())
        .collect();
    // Called by pcall (a C function), a refusal has no line to name.
    assert_eq!(
        printed[0], "false\tecs.get: entity 12345 does not exist",
        "{printed:?}"
    );
    assert_eq!(
        printed[1], "script.lua:3: ecs.has: no component named `Nope` is registered",
        "{printed:?}"
    );
    let errors = manager(&world).errors(id).expect("a loaded script");
    let Some(error @ ScriptError::Runtime { message, .. }) = errors.last() else {
        panic!("{errors:?}");
    };
    assert_eq!(
        message,
        "script.lua:4: ecs.get: entity 12345 does not exist"
    );
    assert_eq!(error.line(), Some(4));
}

#[test]
fn what_a_script_printed_before_failing_to_load_reaches_the_console() {
    let mut world = world();
    let entity = world.spawn_empty().id();
    let loaded = ScriptRunner::attach(
        &mut world,
        entity,
        "broken.lua",
        "print('before the error') error('broken at load')",
        ScriptConfig::default(),
        Permissions::default(),
    );
    assert!(loaded.is_err());
    let console = world.resource::<ScriptConsole>();
    let lines: Vec<(&str, &str)> = console
        .messages()
        .map(|entry| (entry.script.as_str(), entry.text.as_str()))
        .collect();
    assert_eq!(lines, [("broken.lua", "before the error")]);
}

#[test]
fn each_iterates_entities_with_all_components_across_pages() {
    let mut world = world();
    let mut movers = Vec::new();
    for i in 0..600 {
        let entity = world
            .spawn((
                Position {
                    x: f64::from(i),
                    y: 0.0,
                },
                Velocity { x: 1.0, y: 2.0 },
            ))
            .id();
        movers.push(entity);
    }
    // Without Velocity: not visited.
    let still = world.spawn(Position { x: -1.0, y: -1.0 }).id();
    let own = world.spawn_empty().id();
    let source = "function on_update(dt)
        local count, order = 0, {}
        for e, p, v in ecs.each('Position', 'Velocity') do
            count = count + 1
            order[#order + 1] = e
            ecs.insert(e, 'Position', {x = p.x + v.x * dt, y = p.y + v.y * dt})
        end
        local listed = ecs.query('Position', 'Velocity')
        local same = #listed == #order
        for i = 1, #listed do same = same and listed[i] == order[i] end
        print(count, same)
    end";
    let permissions = Permissions::default()
        .read(["Position", "Velocity"])
        .write(["Position"]);
    let id = attach(&mut world, own, source, permissions);
    ScriptRunner::tick(&mut world, 0.5);
    assert_eq!(last_error(&world, id), "");
    let printed: Vec<String> = world
        .resource::<ScriptConsole>()
        .messages()
        .map(|entry| entry.text.clone())
        .collect();
    assert_eq!(printed, ["600\ttrue"]);
    for (i, entity) in movers.iter().enumerate() {
        assert_eq!(
            world.get::<Position>(*entity),
            Some(&Position {
                x: i as f64 + 0.5,
                y: 1.0
            })
        );
    }
    assert_eq!(
        world.get::<Position>(still),
        Some(&Position { x: -1.0, y: -1.0 })
    );
}

#[test]
fn each_skips_what_the_call_removed_and_checks_permissions() {
    let mut world = world();
    for i in 0..600 {
        world.spawn((
            Position {
                x: f64::from(i),
                y: 0.0,
            },
            Velocity { x: 0.0, y: 0.0 },
        ));
    }
    let own = world.spawn_empty().id();
    // Values are read a page (256 entities) at a time: an entity the loop
    // despawns is skipped if its page comes later.
    let source = "function on_update()
        local all = ecs.query('Position')
        ecs.despawn(all[1])
        local seen, first = 0, true
        for e, p in ecs.each('Position') do
            seen = seen + 1
            if first then ecs.despawn(all[400]) first = false end
        end
        print('seen', seen)
        print(pcall(ecs.each, 'Frozen'))
        print(pcall(ecs.each, 'Nope'))
        print(pcall(ecs.each))
    end";
    let permissions = Permissions::default()
        .read(["Position", "Velocity"])
        .write(["Position"])
        .spawn_and_despawn();
    let id = attach(&mut world, own, source, permissions);
    world.resource_mut::<ScriptManager>().set_max_violations(10);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(last_error(&world, id), "");
    let printed: Vec<String> = world
        .resource::<ScriptConsole>()
        .messages()
        .map(|entry| entry.text.clone())
        .collect();
    assert_eq!(printed[0], "seen\t598");
    assert!(
        printed[1]
            .starts_with("false\tecs.each: permission denied: script.lua may not read Frozen"),
        "{printed:?}"
    );
    assert!(
        printed[2].contains("no component named `Nope` is registered"),
        "{printed:?}"
    );
    assert!(
        printed[3].contains("name at least one component"),
        "{printed:?}"
    );
}

#[test]
fn an_iterator_kept_past_its_call_fails_cleanly() {
    let mut world = world();
    world.spawn(Position { x: 1.0, y: 0.0 });
    let own = world.spawn_empty().id();
    let source = "local n = 0
        function on_update()
            n = n + 1
            if n == 1 then kept = ecs.each('Position') else kept() end
        end";
    let permissions = Permissions::default().read(["Position"]);
    let id = attach(&mut world, own, source, permissions);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(last_error(&world, id), "");
    ScriptRunner::tick(&mut world, 0.1);
    assert!(
        last_error(&world, id).contains("an ecs.each ends with its call"),
        "{}",
        last_error(&world, id)
    );
}

#[test]
fn component_names_resolve_again_when_the_registry_changes() {
    let mut world = world();
    let own = world.spawn(Counter(1)).id();
    let source = "function on_update()
        print(pcall(ecs.get, entity, 'Later'))
        print(ecs.get(entity, 'Counter'))
    end";
    let permissions = Permissions::default().read(["Counter", "Later"]);
    let id = attach(&mut world, own, source, permissions);
    ScriptRunner::tick(&mut world, 0.1);
    // Registered after the script first asked: an unknown name is not
    // remembered, and a new registry is resolved against anew.
    world
        .resource_mut::<ComponentRegistry>()
        .register_json("Later");
    world.entity_mut(own).insert(luabox::ecs::JsonComponents(
        [(
            "Later".to_string(),
            luabox::JsonText::parse_text("\"now\"".into()).unwrap(),
        )]
        .into(),
    ));
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(last_error(&world, id), "");
    let printed: Vec<String> = world
        .resource::<ScriptConsole>()
        .messages()
        .map(|entry| entry.text.clone())
        .collect();
    assert!(
        printed[0].contains("no component named `Later` is registered"),
        "{printed:?}"
    );
    assert_eq!(&printed[1..], ["1", "true\tnow", "1"]);
}

/// A component the script may not read, registered where `Position` was.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Secret {
    x: f64,
    y: f64,
}

#[test]
fn a_component_number_cached_before_the_registry_was_replaced_reaches_nothing_else() {
    let mut world = world();
    let own = world
        .spawn((Position { x: 1.0, y: 2.0 }, Secret { x: 7.0, y: 7.0 }))
        .id();
    let source = r#"
        function on_update()
            local ok, value = pcall(ecs.get, entity, "Position")
            print(ok and ("read x=" .. value.x) or value)
        end
    "#;
    let permissions = Permissions::default().read(["Position"]);
    attach(&mut world, own, source, permissions);
    ScriptRunner::tick(&mut world, 0.1);
    // The engine replaces the registry: the old one is freed first, so the
    // new one may well sit at its address, with `Secret` where `Position`
    // was. The sandbox's cached number for "Position" must not read it.
    drop(world.remove_resource::<ComponentRegistry>());
    let mut replaced = ComponentRegistry::default();
    replaced
        .register::<Secret>("Secret")
        .register::<Position>("Position");
    world.insert_resource(replaced);
    ScriptRunner::tick(&mut world, 0.1);
    // Unregistering "Position" entirely: the name no longer resolves.
    drop(world.remove_resource::<ComponentRegistry>());
    let mut without = ComponentRegistry::default();
    without.register::<Secret>("Secret");
    world.insert_resource(without);
    ScriptRunner::tick(&mut world, 0.1);
    let printed: Vec<String> = world
        .resource::<ScriptConsole>()
        .messages()
        .map(|entry| entry.text.clone())
        .collect();
    assert_eq!(printed[..2], ["read x=1.0", "read x=1.0"], "{printed:?}");
    assert!(
        printed[2].contains("no component named `Position` is registered"),
        "{printed:?}"
    );
}
