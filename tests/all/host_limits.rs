//! What a script makes the host do is bounded and charged (issue 11): the
//! error history, console lines, results, host calls over a large world,
//! entities scripts must not see, disabled scripts, cyclic values. Each
//! attack asserts its bound; each bound has a legitimate case beside it.

use std::time::{Duration, Instant};

use bevy_ecs::entity_disabling::{DefaultQueryFilters, Disabled};
use bevy_ecs::prelude::*;
use luabox::ecs::{
    ComponentRegistry, MAX_KEPT_ERRORS, Permissions, ScriptConsole, ScriptId, ScriptManager,
    ScriptRunner,
};
use luabox::scene::Scene;
use luabox::{
    EngineConfig, Limit, Limits, MAX_ERROR_MESSAGE_BYTES, ScriptConfig, ScriptEngine, ScriptError,
};
use serde::{Deserialize, Serialize};

use crate::support::{engine, run, run_with, test_cache};

#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Position {
    x: f64,
    y: f64,
}

/// Points at another entity; bevy's `map_entities` lists it.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Target(
    #[entities]
    #[serde(with = "entity_bits")]
    Entity,
);

mod entity_bits {
    use bevy_ecs::entity::Entity;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(entity: &Entity, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_u64(entity.to_bits())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Entity, D::Error> {
        let bits = u64::deserialize(input)?;
        Entity::try_from_bits(bits).ok_or_else(|| serde::de::Error::custom("not an entity"))
    }
}

/// A marker the engine hides from scripts.
#[derive(Component)]
struct EditorOnly;

/// A disabling component of the engine's own.
#[derive(Component)]
struct Dormant;

fn world_with(engine_config: EngineConfig) -> World {
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Position>("Position")
        .register::<Target>("Target")
        .register_json("Blob")
        .hide_entities_with::<EditorOnly>();
    world.insert_resource(registry);
    let engine = ScriptEngine::new(
        engine_config
            .with_cache(test_cache())
            .with_allocation(luabox::SandboxAllocation::Pool { max_sandboxes: 8 }),
    )
    .expect("engine");
    world.insert_resource(ScriptManager::new(engine));
    world
}

fn world() -> World {
    world_with(EngineConfig::default())
}

fn attach(
    world: &mut World,
    entity: Entity,
    source: &str,
    permissions: Permissions,
    limits: Limits,
) -> ScriptId {
    let config = ScriptConfig::default().with_limits(limits);
    ScriptRunner::attach(world, entity, "host.lua", source, config, permissions).expect("attach")
}

fn errors(world: &World, id: ScriptId) -> Vec<String> {
    world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script")
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn console_text(world: &World) -> Vec<String> {
    world
        .resource::<ScriptConsole>()
        .messages()
        .map(|entry| entry.text.clone())
        .collect()
}

#[test]
fn the_error_history_keeps_the_last_errors_each_cut_short() {
    let mut world = world();
    let own = world.spawn_empty().id();
    let source = "local big = string.rep('e', 8 * 1024 * 1024)\n\
                  local n = 0\n\
                  function on_update() n = n + 1 error(n .. big, 0) end";
    let id = attach(
        &mut world,
        own,
        source,
        Permissions::default(),
        Limits::default(),
    );
    for _ in 0..20 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    let manager = world.resource::<ScriptManager>();
    let kept = manager.errors(id).expect("a loaded script");
    assert_eq!(kept.len(), MAX_KEPT_ERRORS);
    assert_eq!(
        manager.errors_dropped(id).expect("a loaded script"),
        20 - MAX_KEPT_ERRORS as u64
    );
    // The newest are kept, oldest first.
    assert!(
        kept[0].message().starts_with("13eee"),
        "{:.20}",
        kept[0].message()
    );
    assert!(kept[7].message().starts_with("20eee"));
    for error in kept {
        let message = error.message();
        assert!(
            message.len() <= MAX_ERROR_MESSAGE_BYTES + 64,
            "{}",
            message.len()
        );
        assert!(
            message.ends_with("bytes cut)"),
            "{:.80}",
            &message[message.len() - 80..]
        );
    }
}

#[test]
fn a_script_that_fails_once_keeps_its_whole_error() {
    let mut world = world();
    let own = world.spawn_empty().id();
    let source =
        "local n = 0 function on_update() n = n + 1 if n == 2 then error('only once') end end";
    let id = attach(
        &mut world,
        own,
        source,
        Permissions::default(),
        Limits::default(),
    );
    for _ in 0..5 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    assert_eq!(errors(&world, id), ["runtime error: host.lua:1: only once"]);
    assert_eq!(
        world
            .resource::<ScriptManager>()
            .errors_dropped(id)
            .expect("a loaded script"),
        0
    );
}

#[test]
fn console_lines_count_the_newlines_in_a_message() {
    let outcome = run("print(string.rep('\\n', 20000))");
    outcome.assert_limit(Limit::Output);
    assert!(
        outcome.error().to_string().contains("10000 lines"),
        "{}",
        outcome.error()
    );
    // Within the cap, a message with newlines is fine.
    let fine = run("print('a\\nb\\nc') return 1");
    assert_eq!(fine.output, ["a\nb\nc"]);
}

#[test]
fn a_result_past_the_output_cap_fails_with_kind_output() {
    // Rows shared: cheap inside Lua, 8 MB as JSON.
    let outcome = run("local row = {} for i = 1, 1000 do row[i] = i end\n\
         local t = {} for i = 1, 2000 do t[i] = row end\n\
         return t");
    outcome.assert_limit(Limit::Output);
    assert!(outcome.error().to_string().contains("output_bytes"));
    // The sandbox is still usable: nothing trapped.
    let mut instance = outcome.instance;
    assert_eq!(instance.run("return 'still here'").unwrap(), "still here");
    // A result just under the cap is returned whole.
    let limits = Limits::default().with_output_bytes(64 << 10);
    let fits = run_with(limits, "return string.rep('x', 60000)");
    assert_eq!(fits.value().as_str().map(str::len), Some(60_000));
}

#[test]
fn a_huge_error_crossing_ends_as_output_not_as_host_memory() {
    // 24 MiB in one crossing: past the 16 MiB (plus room) any crossing may
    // carry, refused by wasmtime before the host copies it.
    let limits = Limits::default().with_memory(256 << 20);
    let outcome = run_with(limits, "error(string.rep('x', 24 * 1024 * 1024), 0)");
    outcome.assert_limit(Limit::Output);
    assert!(
        outcome.error().to_string().contains("in one call"),
        "{}",
        outcome.error()
    );
}

#[test]
fn cyclic_values_fail_at_once_on_every_path() {
    for (what, source) in [
        (
            "spawn",
            "local t = {} t.a = t t.b = t return ecs.spawn{Blob = t}",
        ),
        (
            "insert",
            "local t = {} t.a = t t.b = t ecs.insert(entity, 'Blob', t)",
        ),
    ] {
        let mut world = world();
        let own = world.spawn_empty().id();
        let source = format!("function on_update() {source} end");
        let permissions = Permissions::default().write(["Blob"]).spawn_and_despawn();
        // Little fuel: walking 2^32 paths would run out of it.
        let limits = Limits::default().with_fuel(5_000_000);
        let id = attach(&mut world, own, &source, permissions, limits);
        ScriptRunner::tick(&mut world, 0.1);
        let error = errors(&world, id).join("\n");
        assert!(
            error.contains("a table that contains itself"),
            "{what}: {error}"
        );
        assert!(error.starts_with("runtime error"), "{what}: {error}");
    }
    let returned = run("local t = {} t.a = {t, t} return t");
    assert!(
        returned
            .error()
            .to_string()
            .contains("a table that contains itself")
    );
    // Shared (not cyclic) tables encode as often as they appear.
    let shared = run("local row = {1, 2} return {row, row}");
    assert_eq!(*shared.value(), serde_json::json!([[1, 2], [1, 2]]));
}

/// A world with `count` plain entities that have `Position`.
fn crowded_world(count: usize, engine_config: EngineConfig) -> (World, Entity) {
    let mut world = world_with(engine_config);
    world.spawn_batch((0..count).map(|i| Position {
        x: i as f64,
        y: 0.0,
    }));
    let own = world.spawn_empty().id();
    (world, own)
}

/// Attaches `source` allowed to read `Position`.
fn attach_reader(world: &mut World, own: Entity, source: &str, limits: Limits) -> ScriptId {
    attach(
        world,
        own,
        source,
        Permissions::default().read(["Position"]),
        limits,
    )
}

#[test]
fn a_query_naming_one_component_many_times_is_refused_before_any_work() {
    let (mut world, own) = crowded_world(2_000, EngineConfig::default());
    let source = "local names = {} for i = 1, 40000 do names[i] = 'Position' end\n\
                  function on_update() ecs.query(table.unpack(names)) end";
    let limits = Limits::default().with_timeout(std::time::Duration::from_millis(1_000));
    let id = attach_reader(&mut world, own, source, limits);
    let started = Instant::now();
    ScriptRunner::tick(&mut world, 0.1);
    ScriptRunner::tick(&mut world, 0.1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let error = errors(&world, id).join("\n");
    assert!(
        error.contains("40000 component names in one call; at most 64"),
        "{error}"
    );
    // Repeating a name within the cap is the same query.
    let (mut world, own) = crowded_world(100, EngineConfig::default());
    let source = "function on_update() print(#ecs.query('Position', 'Position', 'Position')) end";
    attach_reader(&mut world, own, source, Limits::default());
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(console_text(&world), ["100"]);
}

const QUERY_LOOP: &str = "function on_update() while true do ecs.query('Position') end end";

#[test]
fn host_work_is_charged_to_the_scripts_fuel() {
    let (mut world, own) = crowded_world(50_000, EngineConfig::default());
    // Enough fuel for thousands of queries of an empty world, not of this one.
    let limits = Limits::default()
        .with_fuel(200_000_000)
        .with_timeout(std::time::Duration::from_millis(10_000));
    let id = attach_reader(&mut world, own, QUERY_LOOP, limits);
    let started = Instant::now();
    ScriptRunner::tick(&mut world, 0.1);
    let error = &world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script")[0];
    assert!(
        matches!(
            error,
            ScriptError::ResourceLimitExceeded {
                limit: Limit::Fuel,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // One query of 50,000 entities costs at least 50,000 * 300 units.
    assert!(
        world
            .resource::<ScriptManager>()
            .fuel_used(id)
            .expect("a loaded script")
            >= 200_000_000
    );
}

#[test]
fn a_host_call_over_a_large_world_ends_with_the_timeout_when_fuel_is_off() {
    let config = EngineConfig::default().with_consume_fuel(false);
    let (mut world, own) = crowded_world(300_000, config);
    let limits = Limits::default().with_timeout(std::time::Duration::from_millis(300));
    let id = attach_reader(&mut world, own, QUERY_LOOP, limits);
    let started = Instant::now();
    ScriptRunner::tick(&mut world, 0.1);
    let elapsed = started.elapsed();
    let error = &world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script")[0];
    assert!(
        matches!(
            error,
            ScriptError::ResourceLimitExceeded {
                limit: Limit::Timeout,
                ..
            }
        ),
        "{error}"
    );
    // The timeout plus a small constant (generous for a loaded machine).
    assert!(elapsed < Duration::from_millis(1_300), "{elapsed:?}");
}

/// A world holding every kind of entity scripts must not see, and the ids
/// of each, for scripts to try.
struct HiddenWorld {
    world: World,
    own: Entity,
    visible: Entity,
    hidden: Vec<(&'static str, Entity)>,
    parent_of_hidden: Entity,
    parent_of_visible: (Entity, Entity),
}

fn hidden_world() -> HiddenWorld {
    let mut world = world();
    let dormant = world.register_component::<Dormant>();
    world
        .resource_mut::<DefaultQueryFilters>()
        .register_disabling_component(dormant);
    let observer = world.add_observer(|_: On<Add<Position>>| {}).id();
    let system = world.register_system(|| {}).entity();
    let disabled = world.spawn((Position { x: 0.0, y: 0.0 }, Disabled)).id();
    let dormant = world.spawn((Position { x: 0.0, y: 0.0 }, Dormant)).id();
    let editor_only = world.spawn((Position { x: 0.0, y: 0.0 }, EditorOnly)).id();
    let hidden_child = world.spawn((Position { x: 0.0, y: 0.0 }, Disabled)).id();
    let parent_of_hidden = world
        .spawn(Position { x: 1.0, y: 0.0 })
        .add_child(hidden_child)
        .id();
    let visible_child = world.spawn(Position { x: 2.0, y: 0.0 }).id();
    let parent = world
        .spawn(Position { x: 3.0, y: 0.0 })
        .add_child(visible_child)
        .id();
    let visible = world.spawn(Position { x: 4.0, y: 0.0 }).id();
    let own = world.spawn_empty().id();
    HiddenWorld {
        world,
        own,
        visible,
        hidden: vec![
            ("observer", observer),
            ("system", system),
            ("disabled", disabled),
            ("dormant", dormant),
            ("editor_only", editor_only),
            ("hidden_child", hidden_child),
        ],
        parent_of_hidden,
        parent_of_visible: (parent, visible_child),
    }
}

fn all_permissions() -> Permissions {
    Permissions::default()
        .read(["Position", "Target"])
        .write(["Position", "Target"])
        .spawn_and_despawn()
}

/// Attaches `source` with every permission, never disabled for refusals (the
/// scripts below collect many on purpose).
fn attach_trusted(world: &mut World, own: Entity, source: &str) -> ScriptId {
    let id = attach(world, own, source, all_permissions(), Limits::default());
    world
        .resource_mut::<ScriptManager>()
        .set_max_violations(u32::MAX);
    id
}

#[test]
fn scripts_never_see_observers_systems_or_disabled_entities() {
    let HiddenWorld {
        mut world,
        own,
        visible,
        hidden,
        ..
    } = hidden_world();
    let ids: Vec<String> = hidden
        .iter()
        .map(|(name, entity)| format!("{{'{name}', {}}}", entity.to_bits()))
        .collect();
    let source = format!(
        "local hidden = {{{}}}\n\
         function on_update()\n\
           local listed = {{}}\n\
           for _, e in ipairs(ecs.query()) do listed[e] = true end\n\
           for _, e in ipairs(ecs.query('Position')) do listed[e] = true end\n\
           for _, h in ipairs(hidden) do\n\
             local name, e = h[1], h[2]\n\
             if listed[e] then print(name .. ' listed') end\n\
             if ecs.exists(e) then print(name .. ' exists') end\n\
             for _, call in ipairs{{\n\
               function() return ecs.get(e, 'Position') end,\n\
               function() return ecs.has(e, 'Position') end,\n\
               function() ecs.insert(e, 'Position', {{x = 9, y = 9}}) end,\n\
               function() ecs.remove(e, 'Position') end,\n\
               function() ecs.despawn(e) end,\n\
               function() ecs.insert(entity, 'Target', e) end,\n\
               function() ecs.spawn{{Target = e}} end,\n\
             }} do\n\
               local ok, message = pcall(call)\n\
               if ok then print(name .. ' reached') end\n\
             end\n\
           end\n\
           print('visible', listed[{visible}] == true, ecs.exists({visible}))\n\
         end",
        ids.join(", "),
        visible = visible.to_bits(),
    );
    let id = attach_trusted(&mut world, own, &source);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(errors(&world, id), Vec::<String>::new());
    assert_eq!(console_text(&world), ["visible\ttrue\ttrue"]);
    let targets = world.query::<&Target>().iter(&world).count();
    assert_eq!(targets, 0, "a value naming a hidden entity was written");
    for (name, entity) in &hidden {
        assert!(world.get_entity(*entity).is_ok(), "{name} was despawned");
    }
    assert_eq!(
        world.get::<Position>(hidden[2].1),
        Some(&Position { x: 0.0, y: 0.0 })
    );
}

#[test]
fn a_despawn_never_cascades_into_an_entity_scripts_cannot_see() {
    let HiddenWorld {
        mut world,
        own,
        hidden,
        parent_of_hidden,
        parent_of_visible: (parent, visible_child),
        ..
    } = hidden_world();
    let source = format!(
        "function on_update()\n\
           local ok, message = pcall(ecs.despawn, {})\n\
           print(ok, message)\n\
           ecs.despawn({})\n\
         end",
        parent_of_hidden.to_bits(),
        parent.to_bits()
    );
    let id = attach_trusted(&mut world, own, &source);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(errors(&world, id), Vec::<String>::new());
    let printed = console_text(&world);
    assert!(
        printed[0]
            .starts_with("false\tecs.despawn: permission denied: host.lua may not despawn entity")
            && printed[0].ends_with("it would also despawn entities scripts cannot see"),
        "{printed:?}"
    );
    // The refused parent and its hidden child are untouched; the permitted
    // despawn took its visible child with it, as bevy does.
    assert!(world.get_entity(parent_of_hidden).is_ok());
    assert!(world.get_entity(hidden[5].1).is_ok());
    assert!(world.get_entity(parent).is_err());
    assert!(world.get_entity(visible_child).is_err());
}

#[test]
fn entities_named_inside_component_values_must_be_visible() {
    let HiddenWorld {
        mut world,
        own,
        visible,
        hidden,
        ..
    } = hidden_world();
    let source = format!(
        "function on_update()\n\
           print(pcall(ecs.insert, entity, 'Target', {}))\n\
           ecs.insert(entity, 'Target', {})\n\
         end",
        hidden[0].1.to_bits(),
        visible.to_bits()
    );
    let id = attach(
        &mut world,
        own,
        &source,
        all_permissions(),
        Limits::default(),
    );
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(errors(&world, id), Vec::<String>::new());
    let printed = console_text(&world);
    assert!(
        printed[0].contains(&format!(
            "it refers to entity {}, which does not exist",
            hidden[0].1.to_bits()
        )),
        "{printed:?}"
    );
    assert_eq!(world.get::<Target>(own), Some(&Target(visible)));
}

#[test]
fn a_disabled_script_is_never_restarted_and_never_charged() {
    let mut world = world();
    let own = world.spawn_empty().id();
    // One refusal (the violation that disables it), then a trap in the
    // same call.
    let source = "print('loaded')\n\
                  function on_update() pcall(ecs.despawn, entity) while true do end end";
    let limits = Limits::default().with_fuel(10_000_000);
    let id = attach(&mut world, own, source, Permissions::default(), limits);
    world.resource_mut::<ScriptManager>().set_max_violations(1);
    ScriptRunner::tick(&mut world, 0.1);
    let manager = world.resource::<ScriptManager>();
    assert!(matches!(
        manager.status(id),
        Some(luabox::ecs::ScriptStatus::Disabled { .. })
    ));
    assert!(manager.fuel_used(id).expect("a loaded script") >= 10_000_000);
    for _ in 0..3 {
        ScriptRunner::tick(&mut world, 0.1);
        assert_eq!(
            world
                .resource::<ScriptManager>()
                .fuel_used(id)
                .expect("a loaded script"),
            0
        );
    }
    // Loaded once: the trapped sandbox was not replaced while disabled.
    let loads = console_text(&world)
        .iter()
        .filter(|text| *text == "loaded")
        .count();
    assert_eq!(loads, 1);
    // Enabled again, it restarts and runs.
    world
        .resource_mut::<ScriptManager>()
        .enable(id)
        .expect("a loaded script");
    ScriptRunner::tick(&mut world, 0.1);
    let loads = console_text(&world)
        .iter()
        .filter(|text| *text == "loaded")
        .count();
    assert_eq!(loads, 2);
}

#[test]
fn a_scene_report_counts_only_fuel_really_used() {
    // Disabled on its second tick (three refusals).
    let run_for = |ticks| {
        let scene = Scene::parse(
            r#"{"entities": [{"name": "quitter", "source":
                "n = 0 function on_update() n = n + 1 if n == 2 then for i = 1, 3 do pcall(ecs.despawn, entity) end end end"}]}"#,
        )
        .expect("scene");
        scene.run(engine().clone(), &ScriptConfig::default(), ticks, 0.1)
    };
    let ten = run_for(10);
    assert_eq!(
        ten.scripts.as_ref().expect("scripts")[0].status,
        luabox::scene::ReportStatus::Disabled
    );
    // Ten ticks cost what the two it ran cost.
    assert_eq!(ten.fuel_used, run_for(2).fuel_used);
}

#[test]
fn buffered_writes_are_capped_in_bytes_and_a_big_legitimate_value_round_trips() {
    let mut world = world();
    let own = world.spawn_empty().id();
    let source = "local big = string.rep('v', 1024 * 1024)\n\
                  function on_update()\n\
                    local ok, message = pcall(function() for i = 1, 100 do ecs.insert(entity, 'Blob', big) end end)\n\
                    print(ok, message)\n\
                    local half = string.rep('h', 512 * 1024)\n\
                    ecs.insert(entity, 'Blob', {text = half})\n\
                    print(ecs.get(entity, 'Blob').text == half)\n\
                  end";
    let permissions = Permissions::default().read(["Blob"]).write(["Blob"]);
    let id = attach(&mut world, own, source, permissions, Limits::default());
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(errors(&world, id), Vec::<String>::new());
    let printed = console_text(&world);
    assert!(
        printed[0].starts_with("false\thost.lua:3: ecs.insert: too many writes in one call"),
        "{printed:?}"
    );
    assert_eq!(printed[1], "true");
    let stored = world.get::<luabox::ecs::JsonComponents>(own).expect("blob");
    assert_eq!(
        stored.0["Blob"].as_str().len(),
        512 * 1024 + r#"{"text":""}"#.len()
    );
}

#[test]
fn refused_calls_in_a_loop_leak_nothing_inside_the_sandbox() {
    // Each refusal is a Lua error raised from Rust inside the guest: a Lua
    // error skips Rust destructors, so anything still alive would leak a
    // few bytes of the sandbox's memory a call, and 300,000 calls would
    // exhaust 4 MiB.
    let mut world = world();
    let own = world.spawn_empty().id();
    let source = "local cyclic = {}\n\
                  cyclic.self = cyclic\n\
                  function on_update()\n\
                    local refused = 0\n\
                    for i = 1, 150000 do\n\
                      if not pcall(ecs.get, 12345, 'Blob') then refused = refused + 1 end\n\
                      if not pcall(ecs.insert, entity, 'Blob', cyclic) then refused = refused + 1 end\n\
                    end\n\
                    print(refused)\n\
                  end";
    let limits = Limits::default()
        .with_memory(4 << 20)
        .with_fuel(100_000_000_000)
        .with_timeout(Duration::from_secs(30));
    let permissions = Permissions::default().read(["Blob"]).write(["Blob"]);
    let id = attach(&mut world, own, source, permissions, limits);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(errors(&world, id), Vec::<String>::new());
    assert_eq!(console_text(&world), ["300000"]);
}

#[test]
fn entities_scripts_cannot_see_read_as_a_placeholder_inside_component_values() {
    let HiddenWorld {
        mut world,
        own,
        visible,
        hidden,
        ..
    } = hidden_world();
    // The engine's own values point at hidden entities (and one at a
    // visible one); a script reading them must not learn those ids.
    let pointers: Vec<Entity> = hidden
        .iter()
        .map(|(_, target)| world.spawn(Target(*target)).id())
        .collect();
    let to_visible = world.spawn(Target(visible)).id();
    let source = format!(
        "function on_update()\n\
           for _, e in ipairs{{{}}} do print('get', ecs.get(e, 'Target')) end\n\
           for e, target in ecs.each('Target') do print('each', target) end\n\
         end",
        pointers
            .iter()
            .chain([&to_visible])
            .map(|entity| entity.to_bits().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let id = attach_trusted(&mut world, own, &source);
    ScriptRunner::tick(&mut world, 0.1);
    assert_eq!(errors(&world, id), Vec::<String>::new());
    let printed = console_text(&world);
    assert_eq!(printed.len(), 2 * (hidden.len() + 1), "{printed:?}");
    let placeholder = Entity::PLACEHOLDER.to_bits().to_string();
    for line in &printed {
        for (name, entity) in &hidden {
            assert!(
                !line.contains(&entity.to_bits().to_string()),
                "{name}'s id leaked: {line}"
            );
        }
    }
    let placeholders = printed
        .iter()
        .filter(|line| line.ends_with(&format!("\t{placeholder}")))
        .count();
    assert_eq!(placeholders, 2 * hidden.len(), "{printed:?}");
    assert!(
        printed.contains(&format!("get\t{}", visible.to_bits())),
        "{printed:?}"
    );
    // The world itself is untouched.
    assert_eq!(world.get::<Target>(pointers[0]), Some(&Target(hidden[0].1)));
}
