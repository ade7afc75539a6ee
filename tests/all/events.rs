//! Events between scripts and with the engine: `ecs.emit`, `on_event(name,
//! payload, sender)`, the `emit`/`receive` permissions, the bounds, and
//! events of failed calls.

use bevy_ecs::prelude::*;
use luabox::ecs::{
    ComponentRegistry, EmittedEvents, MAX_EVENT_PAYLOAD_BYTES, MAX_EVENTS_PER_SCRIPT_TICK,
    MAX_EVENTS_PER_TICK, MAX_UNDRAINED_EVENTS, Permissions, ScriptEvents, ScriptId, ScriptManager,
    ScriptRunner,
};
use luabox::{ErrorKind, ScriptConfig, ScriptEngine};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::support::test_cache;

#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Counter(i64);

/// What a script wants the test to see.
#[derive(Component, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Report(serde_json::Value);

fn world() -> World {
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Counter>("Counter")
        .register::<Report>("Report");
    world.insert_resource(registry);
    let engine =
        ScriptEngine::new(luabox::EngineConfig::default().with_cache(test_cache())).unwrap();
    world.insert_resource(ScriptManager::new(engine));
    world
}

/// Spawns an entity with `Counter(0)` driven by `source`; the script may
/// write its counter.
fn scripted(world: &mut World, name: &str, source: &str, permissions: Permissions) -> Entity {
    scripted_with_id(world, name, source, permissions).0
}

fn scripted_with_id(
    world: &mut World,
    name: &str,
    source: &str,
    permissions: Permissions,
) -> (Entity, ScriptId) {
    let entity = world.spawn(Counter(0)).id();
    let permissions = permissions.read(["Counter"]).write(["Counter", "Report"]);
    let id = ScriptRunner::attach(
        world,
        entity,
        name,
        source,
        ScriptConfig::default(),
        permissions,
    )
    .unwrap();
    (entity, id)
}

fn counter(world: &World, entity: Entity) -> i64 {
    world.get::<Counter>(entity).unwrap().0
}

fn report(world: &World, entity: Entity) -> serde_json::Value {
    world.get::<Report>(entity).expect("a report").0.clone()
}

fn last_error(world: &World, id: ScriptId) -> (ErrorKind, String) {
    let errors = world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script");
    let error = errors.last().expect("the script failed");
    (error.kind(), error.to_string())
}

/// Emits `ping` with `{n = 5, list = {10, 20}}` on its first update only.
const PINGER: &str = r#"
    local sent = false
    function on_update()
        if not sent then sent = true ecs.emit("ping", {n = 5, list = {10, 20}}) end
    end
"#;

/// Counts what it receives: sender's bits times 1000 plus payload fields.
const LISTENER: &str = r#"
    function on_event(name, payload, sender)
        local count = ecs.get(entity, "Counter")
        ecs.insert(entity, "Counter", count + 1)
        ecs.insert(entity, "Report", {sender, payload.n + payload.list[2]})
    end
"#;

#[test]
fn an_event_reaches_permitted_receivers_once_on_the_next_tick_with_its_sender() {
    let mut world = world();
    let pinger = scripted(
        &mut world,
        "pinger.lua",
        PINGER,
        Permissions::default().emit(["ping"]),
    );
    let listener = scripted(
        &mut world,
        "listener.lua",
        LISTENER,
        Permissions::default().receive(["ping"]),
    );
    let deaf = scripted(&mut world, "deaf.lua", LISTENER, Permissions::default());

    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(
        counter(&world, listener),
        0,
        "delivered on the next tick, not this one"
    );
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(counter(&world, listener), 1);
    assert_eq!(
        counter(&world, deaf),
        0,
        "a script without `receive` hears nothing"
    );
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(counter(&world, listener), 1, "delivered once");

    assert_eq!(report(&world, listener), json!([pinger.to_bits(), 25]));
}

#[test]
fn the_engine_receives_what_scripts_emit_and_its_own_events_need_receive() {
    let mut world = world();
    let pinger = scripted(
        &mut world,
        "pinger.lua",
        PINGER,
        Permissions::default().emit(["ping"]),
    );
    let source = r#"
        function on_event(name, payload, sender)
            assert(sender == nil, "the engine sends with a nil sender")
            ecs.insert(entity, "Counter", payload.damage)
        end
    "#;
    let hears = scripted(
        &mut world,
        "hears.lua",
        source,
        Permissions::default().receive(["hit"]),
    );
    let deaf = scripted(&mut world, "deaf.lua", source, Permissions::default());
    world.insert_resource(ScriptEvents(vec![("hit".into(), json!({"damage": 7}))]));
    ScriptRunner::tick(&mut world, 0.1);

    assert_eq!((counter(&world, hears), counter(&world, deaf)), (7, 0));
    let mut emitted = world.resource_mut::<EmittedEvents>();
    let events: Vec<_> = emitted.drain().collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name, "ping");
    assert_eq!(events[0].sender, Some(pinger));
    assert_eq!(events[0].script, "pinger.lua");
    assert_eq!(
        events[0].payload.to_value(),
        json!({"n": 5, "list": [10, 20]})
    );
    assert!(emitted.is_empty(), "drained");
}

#[test]
fn an_emit_outside_the_permissions_is_a_refusal() {
    let mut world = world();
    let source = r#"function on_update() ecs.emit("launch", 1) end"#;
    let (_, id) = scripted_with_id(
        &mut world,
        "sneaky.lua",
        source,
        Permissions::default().emit(["ping"]).receive(["launch"]),
    );
    ScriptRunner::tick(&mut world, 0.1);
    let (kind, message) = last_error(&world, id);
    assert_eq!(kind, ErrorKind::Permission);
    assert!(
        message.contains("sneaky.lua may not emit launch"),
        "{message}"
    );
    assert!(world.resource::<EmittedEvents>().is_empty());
}

#[test]
fn events_of_a_failed_call_are_never_delivered() {
    let mut world = world();
    let failing = r#"
        function on_update()
            ecs.emit("ping", {n = 1, list = {1, 1}})
            error("changed my mind")
        end
    "#;
    let trapping = r#"
        function on_update()
            ecs.emit("ping", {n = 1, list = {1, 1}})
            while true do end
        end
    "#;
    let emit = || Permissions::default().emit(["ping"]);
    scripted(&mut world, "failing.lua", failing, emit());
    let config =
        ScriptConfig::default().with_limits(luabox::Limits::default().with_fuel(5_000_000));
    let trapper = world.spawn(Counter(0)).id();
    ScriptRunner::attach(
        &mut world,
        trapper,
        "trapping.lua",
        trapping,
        config,
        emit(),
    )
    .unwrap();
    let listener = scripted(
        &mut world,
        "listener.lua",
        LISTENER,
        Permissions::default().receive(["ping"]),
    );
    for _ in 0..3 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    assert_eq!(counter(&world, listener), 0);
    assert!(world.resource::<EmittedEvents>().is_empty());
}

#[test]
fn names_and_payloads_are_bounded() {
    let mut world = world();
    let source = format!(
        r#"
        function on_update()
            local fits = pcall(ecs.emit, "ping", string.rep("x", {fits}))
            local big, big_error = pcall(ecs.emit, "ping", string.rep("x", {too_big}))
            local long, long_error = pcall(ecs.emit, string.rep("n", 300), 1)
            local cyclic = {{}} cyclic.self = cyclic
            local cycle, cycle_error = pcall(ecs.emit, "ping", cyclic)
            assert(fits and not big and not long and not cycle)
            ecs.insert(entity, "Report", {{big_error, long_error, cycle_error}})
        end
    "#,
        fits = MAX_EVENT_PAYLOAD_BYTES - 16,
        too_big = MAX_EVENT_PAYLOAD_BYTES,
    );
    let name = "n".repeat(300);
    let big = scripted(
        &mut world,
        "big.lua",
        &source,
        Permissions::default().emit(["ping".to_string(), name]),
    );
    ScriptRunner::tick(&mut world, 0.1);
    let errors: Vec<String> = serde_json::from_value(report(&world, big)).unwrap();
    assert!(errors[0].contains("at most 16384"), "{}", errors[0]);
    assert!(
        errors[1].contains("name is 300 bytes; at most 256"),
        "{}",
        errors[1]
    );
    assert!(errors[2].contains("contains itself"), "{}", errors[2]);
    assert_eq!(
        world.resource::<EmittedEvents>().len(),
        1,
        "only the one that fits"
    );
}

#[test]
fn a_script_emits_at_most_its_share_of_a_tick_across_its_calls() {
    let mut world = world();
    let source = r#"
        local function flood()
            local sent = 0
            while pcall(ecs.emit, "ping") do sent = sent + 1 end
            return sent
        end
        function on_start() started = flood() end
        function on_update() ecs.insert(entity, "Counter", started * 1000 + flood()) end
    "#;
    let flooder = scripted(
        &mut world,
        "flood.lua",
        source,
        Permissions::default().emit(["ping"]),
    );
    ScriptRunner::tick(&mut world, 0.1);
    let share = MAX_EVENTS_PER_SCRIPT_TICK as i64;
    assert_eq!(
        counter(&world, flooder),
        share * 1000,
        "the share covers the whole tick"
    );
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(
        counter(&world, flooder) % 1000,
        share,
        "and starts again each tick"
    );
    assert_eq!(
        world.resource::<EmittedEvents>().len(),
        2 * MAX_EVENTS_PER_SCRIPT_TICK
    );
}

#[test]
fn all_scripts_together_emit_at_most_the_tick_queue_and_undrained_events_are_dropped() {
    let mut world = world();
    let source = r#"
        function on_update()
            local sent = 0
            while pcall(ecs.emit, "ping", sent) do sent = sent + 1 end
            ecs.insert(entity, "Counter", sent)
        end
    "#;
    let scripts = MAX_EVENTS_PER_TICK / MAX_EVENTS_PER_SCRIPT_TICK + 1;
    let flooders: Vec<Entity> = (0..scripts)
        .map(|i| {
            let name = format!("flood{i}.lua");
            scripted(
                &mut world,
                &name,
                source,
                Permissions::default().emit(["ping"]),
            )
        })
        .collect();
    ScriptRunner::tick(&mut world, 0.1);
    let sent: Vec<i64> = flooders.iter().map(|e| counter(&world, *e)).collect();
    assert_eq!(
        sent.iter().sum::<i64>(),
        MAX_EVENTS_PER_TICK as i64,
        "{sent:?}"
    );
    assert_eq!(
        sent.last(),
        Some(&0),
        "the last script found the queue full"
    );

    // An engine that never drains keeps only the newest events.
    let ticks = MAX_UNDRAINED_EVENTS / MAX_EVENTS_PER_TICK + 1;
    for _ in 1..ticks {
        ScriptRunner::tick(&mut world, 0.1);
    }
    let emitted = world.resource::<EmittedEvents>();
    assert_eq!(emitted.len(), MAX_UNDRAINED_EVENTS);
    assert_eq!(emitted.dropped(), MAX_EVENTS_PER_TICK as u64);
}

#[test]
fn a_scripts_event_calls_share_one_calls_fuel_a_tick() {
    // Five events a tick; each on_event burns the same fuel.
    let emitter = r#"function on_update() for i = 1, 5 do ecs.emit("ping", i) end end"#;
    let burner = r#"
        function on_event()
            local x = 0
            for step = 1, 100000 do x = x + step end
            ecs.insert(entity, "Counter", ecs.get(entity, "Counter") + 1)
        end
    "#;
    let run = |limits: luabox::Limits| {
        let mut world = world();
        scripted(
            &mut world,
            "emitter.lua",
            emitter,
            Permissions::default().emit(["ping"]),
        );
        let entity = world.spawn(Counter(0)).id();
        let permissions = Permissions::default()
            .receive(["ping"])
            .read(["Counter"])
            .write(["Counter"]);
        let config = ScriptConfig::default().with_limits(limits);
        let id = ScriptRunner::attach(
            &mut world,
            entity,
            "burner.lua",
            burner,
            config,
            permissions,
        )
        .unwrap();
        ScriptRunner::tick(&mut world, 0.1);
        ScriptRunner::tick(&mut world, 0.1);
        let fuel = world
            .resource::<ScriptManager>()
            .fuel_used(id)
            .expect("a loaded script");
        (world, entity, id, fuel)
    };
    let (world, entity, id, fuel) = run(luabox::Limits::default());
    assert_eq!(
        counter(&world, entity),
        5,
        "with the default fuel all five arrive"
    );
    assert!(
        world
            .resource::<ScriptManager>()
            .errors(id)
            .expect("a loaded script")
            .is_empty()
    );
    let per_event = fuel / 5;

    // A budget of two and a half events: two are handled, the third runs
    // with the half that is left and runs out of it; none gets more than
    // one call's fuel between them.
    let budget = per_event * 5 / 2;
    let (world, entity, id, fuel) = run(luabox::Limits::default().with_fuel(budget));
    assert_eq!(counter(&world, entity), 2);
    assert!(
        fuel <= budget,
        "the tick's event calls used {fuel} of {budget}"
    );
    let (kind, message) = last_error(&world, id);
    assert_eq!(kind, ErrorKind::Fuel);
    assert!(
        message.contains("what was left this tick of one call's"),
        "{message}"
    );
}

#[test]
fn an_on_event_error_is_reported_and_the_other_events_and_on_update_go_on() {
    let mut world = world();
    let source = r#"
        local heard = {}
        function on_event(name, payload)
            if payload == 2 then error("bad event " .. payload) end
            heard[#heard + 1] = payload
        end
        function on_update()
            ecs.insert(entity, "Report", heard)
        end
    "#;
    let (entity, id) = scripted_with_id(
        &mut world,
        "listener.lua",
        source,
        Permissions::default().receive(["n"]),
    );
    world
        .get_resource_or_insert_with(ScriptEvents::default)
        .0
        .extend((1..=4).map(|n| ("n".to_string(), json!(n))));
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(report(&world, entity), json!([1, 3, 4]));
    let (kind, message) = last_error(&world, id);
    assert_eq!(kind, ErrorKind::Runtime);
    assert!(message.contains("listener.lua:4: bad event 2"), "{message}");
}

#[test]
fn functions_threads_and_userdata_are_not_data_for_the_world() {
    let mut world = world();
    let source = r#"
        function on_update()
            local refused = {}
            for _, value in ipairs({print, coroutine.create(print), {nested = {print}}}) do
                refused[#refused + 1] = select(2, pcall(ecs.insert, entity, "Report", value))
                refused[#refused + 1] = select(2, pcall(ecs.emit, "n", value))
                refused[#refused + 1] = select(2, pcall(ecs.spawn, {Report = value}))
            end
            ecs.insert(entity, "Report", refused)
        end
    "#;
    let entity = scripted(
        &mut world,
        "data.lua",
        source,
        Permissions::default().emit(["n"]).spawn_and_despawn(),
    );
    ScriptRunner::tick(&mut world, 0.1);
    let refused = report(&world, entity);
    let refused: Vec<&str> = refused
        .as_array()
        .expect("a list")
        .iter()
        .map(|message| message.as_str().unwrap_or_default())
        .collect();
    let kinds = ["function", "thread", "function"];
    assert_eq!(refused.len(), 9, "{refused:?}");
    for (message, kind) in refused.iter().zip(kinds.iter().flat_map(|kind| [kind; 3])) {
        assert!(
            message.contains(&format!("a {kind} is not data")),
            "{message}"
        );
    }
    assert!(
        refused[0].starts_with("ecs.insert: component Report:"),
        "{refused:?}"
    );
    assert!(refused[1].starts_with("ecs.emit: event n:"), "{refused:?}");
    assert!(
        refused[2].starts_with("ecs.spawn: component Report:"),
        "{refused:?}"
    );
    assert!(world.resource::<EmittedEvents>().is_empty());
    // A run's result, which is for display, still describes them.
    let result = crate::support::engine()
        .run("result.lua", "return print")
        .expect("runs");
    assert_eq!(result, json!("<function>"));
}

#[test]
fn a_script_without_an_entity_cannot_pass_for_the_engine() {
    let mut world = world();
    let listener = r#"
        heard = {}
        function on_event(name, payload, sender)
            heard[#heard + 1] = sender == nil and "engine" or "script"
        end
        function on_update() ecs.insert(entity, "Report", heard) end
    "#;
    let receiver = scripted(
        &mut world,
        "listener.lua",
        listener,
        Permissions::default().receive(["alarm"]),
    );
    // Loaded straight into the manager: no entity.
    let source = r#"
        function on_update()
            local ok, message = pcall(ecs.emit, "alarm", "from the engine, honest")
            log.info(tostring(ok) .. " " .. message)
        end
    "#;
    world
        .resource_mut::<ScriptManager>()
        .load(
            "impostor.lua",
            source,
            ScriptConfig::default(),
            Permissions::default().emit(["alarm"]),
        )
        .unwrap();
    world.insert_resource(ScriptEvents(vec![("alarm".into(), json!("real"))]));
    for _ in 0..3 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    assert_eq!(report(&world, receiver), json!(["engine"]));
    let said: Vec<String> = world
        .resource::<luabox::ecs::ScriptConsole>()
        .messages()
        .filter(|entry| entry.script == "impostor.lua")
        .map(|entry| entry.text.clone())
        .collect();
    assert!(
        said[0].starts_with("false ") && said[0].contains("impostor.lua has no entity"),
        "{said:?}"
    );
}

#[test]
fn a_payload_that_exhausts_the_receivers_memory_is_a_lua_error_not_the_end_of_its_sandbox() {
    let mut world = world();
    // 3,000 empty tables: 15 KB to cross, some 200 KB as Lua tables.
    scripted(
        &mut world,
        "sender.lua",
        r#"
            local load = {}
            for i = 1, 3000 do load[i] = {} end
            function on_update() ecs.emit("load", load) end
        "#,
        Permissions::default().emit(["load"]),
    );
    // The receiver fills its memory in on_start, then frees 64 KB: room
    // for the crossing, not for the tables. on_start counts the receiver's
    // sandboxes in the world (a restarted sandbox counts again).
    let receiver_source = r#"
        local hogs = {}
        function on_start()
            ecs.insert(entity, "Counter", ecs.get(entity, "Counter") + 1)
            local reserve = string.rep("r", 64 * 1024)
            pcall(function()
                for round = 1, 64 do
                    local hog = {}
                    hogs[round] = hog
                    pcall(function() while true do hog[#hog + 1] = {} end end)
                end
            end)
            reserve = nil
            collectgarbage()
        end
        function on_event(name, payload) heard = payload end
    "#;
    let receiver = world.spawn(Counter(0)).id();
    let config =
        ScriptConfig::default().with_limits(luabox::Limits::default().with_memory(4 << 20));
    let id = ScriptRunner::attach(
        &mut world,
        receiver,
        "receiver.lua",
        receiver_source,
        config,
        Permissions::default()
            .receive(["load"])
            .read(["Counter"])
            .write(["Counter"]),
    )
    .unwrap();
    for _ in 0..4 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    let errors = world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script");
    assert!(!errors.is_empty(), "the payload was decoded");
    for error in errors {
        assert_eq!(error.kind(), ErrorKind::Memory, "{error}");
        assert!(error.to_string().contains("not enough memory"), "{error}");
    }
    assert_eq!(
        counter(&world, receiver),
        1,
        "the sandbox ended and restarted: {errors:?}"
    );
}
