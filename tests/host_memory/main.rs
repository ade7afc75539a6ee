//! Host memory a hostile script can make the host allocate, measured with a
//! counting allocator (its own test binary, so nothing else allocates
//! meanwhile; the scenarios run one after another in one test).
//!
//! Sandbox memory is wasm linear memory, which wasmtime maps itself: it is
//! not counted here. What is counted is the host's heap: error history,
//! console and report lines, lifted strings, buffered writes, JSON values.
//! Each scenario is an attack from issue 11 with its bound.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bevy_ecs::prelude::*;
use luabox::ecs::{ComponentRegistry, Permissions, ScriptManager, ScriptRunner};
use luabox::scene::Scene;
use luabox::{CacheDir, EngineConfig, Limits, ScriptConfig, ScriptEngine};
use serde::{Deserialize, Serialize};

/// Counts the bytes the host holds (live) and the most it held (peak).
/// (Test instrumentation: an allocator is global by nature.)
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every method forwards to the system allocator unchanged and only
// counts sizes on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: usize = 1 << 20;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a peak measurement from what is live now.
fn start_peak() -> usize {
    let now = live();
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn peak_since(base: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
struct Position {
    x: f64,
    y: f64,
}

fn engine() -> ScriptEngine {
    ScriptEngine::new(
        EngineConfig::default()
            .with_cache(CacheDir::At(
                std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("luabox-cache"),
            ))
            .with_allocation(luabox::SandboxAllocation::Pool { max_sandboxes: 8 }),
    )
    .expect("engine")
}

fn world(engine: &ScriptEngine) -> World {
    let mut world = World::new();
    let mut registry = ComponentRegistry::default();
    registry
        .register::<Position>("Position")
        .register_json("Blob");
    world.insert_resource(registry);
    world.insert_resource(ScriptManager::new(engine.clone()));
    world
}

fn attach(world: &mut World, source: &str, permissions: Permissions) -> luabox::ecs::ScriptId {
    let own = world.spawn(Position { x: 0.0, y: 0.0 }).id();
    ScriptRunner::attach(
        world,
        own,
        "hostile.lua",
        source,
        ScriptConfig::default(),
        permissions,
    )
    .expect("attach")
}

/// 8 MiB errors every tick: the host keeps a few, cut short.
fn error_history(engine: &ScriptEngine) {
    let mut world = world(engine);
    let id = attach(
        &mut world,
        "local big = string.rep('e', 8 * 1024 * 1024)\nfunction on_update() error(big, 0) end",
        Permissions::default(),
    );
    for _ in 0..10 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    let after_10 = live();
    for _ in 0..50 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    let growth = live().saturating_sub(after_10);
    let manager = world.resource::<ScriptManager>();
    println!(
        "error history: 60 ticks of an 8 MiB error: host grew {growth} bytes over the last 50; \
         {} errors kept, {} dropped",
        manager.errors(id).expect("a loaded script").len(),
        manager.errors_dropped(id).expect("a loaded script")
    );
    assert!(growth < MIB, "the host grew {growth} bytes");
    assert_eq!(
        manager.errors_dropped(id).expect("a loaded script"),
        60 - luabox::ecs::MAX_KEPT_ERRORS as u64
    );
}

/// A scene that prints a 512 KiB line and raises an 8 MiB error every tick:
/// the report stays small.
fn scene_report(engine: &ScriptEngine) {
    let scene = Scene::parse(
        r#"{"entities": [{"name": "flood", "source":
           "local line = string.rep('p', 512 * 1024) local big = string.rep('e', 8 * 1024 * 1024) function on_update() print(line) print(line) error(big, 0) end"}]}"#,
    )
    .expect("scene");
    let base = start_peak();
    let report = scene.run(engine.clone(), &ScriptConfig::default(), 30, 0.1);
    let text = serde_json::to_string(&report).expect("report");
    let peak = peak_since(base);
    println!(
        "scene report: 30 ticks of 1 MiB printed and an 8 MiB error: report {} bytes, \
         {} lines dropped; host peak +{peak} bytes",
        text.len(),
        report.output_dropped
    );
    assert!(text.len() < 2 * MIB, "report of {} bytes", text.len());
    assert!(peak < 48 * MIB, "host peak +{peak}");
}

/// A result whose JSON is 8 MB (rows shared): refused by size, never parsed
/// into a value tree.
fn big_result(engine: &ScriptEngine) {
    let mut sandbox = engine
        .instantiate("big.lua", &ScriptConfig::default())
        .expect("sandbox");
    let base = start_peak();
    let result = sandbox.run(
        "local row = {} for i = 1, 1000 do row[i] = i end\n\
         local t = {} for i = 1, 2000 do t[i] = row end return t",
    );
    let peak = peak_since(base);
    println!(
        "8 MB result: {:?}; host peak +{peak} bytes",
        result.as_ref().map(drop).map_err(|e| e.kind())
    );
    assert_eq!(
        result.map(drop).map_err(|e| e.kind()),
        Err(luabox::ErrorKind::Output)
    );
    assert!(peak < 24 * MIB, "host peak +{peak}");
}

/// One 1 MiB value written over and over in one call: refused at the byte
/// cap, so the host holds at most about that cap.
fn buffered_writes(engine: &ScriptEngine) {
    let mut world = world(engine);
    let id = attach(
        &mut world,
        "local big = string.rep('w', 1024 * 1024)\n\
         function on_update() for i = 1, 1000 do ecs.insert(entity, 'Blob', big) end end",
        Permissions::default().write(["Blob"]),
    );
    let base = start_peak();
    ScriptRunner::tick(&mut world, 0.1);
    let peak = peak_since(base);
    let error = world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script")[0]
        .to_string();
    println!("1000 writes of 1 MiB: {error:.80}; host peak +{peak} bytes");
    assert!(error.contains("too many writes"), "{error}");
    let cap = Limits::default().write_bytes;
    assert!(peak < cap + 8 * MIB, "host peak +{peak}");
}

/// What one buffered write costs the host beyond its name and value, which
/// the write cap charges as 256 bytes.
fn bytes_per_write(engine: &ScriptEngine) {
    let mut world = world(engine);
    attach(
        &mut world,
        "function on_update() for i = 1, 10000 do ecs.insert(entity, 'Position', {x = i, y = 0}) end end",
        Permissions::default().write(["Position"]),
    );
    ScriptRunner::tick(&mut world, 0.1);
    let base = start_peak();
    ScriptRunner::tick(&mut world, 0.1);
    let peak = peak_since(base);
    let per_write = peak / 10_000;
    // Name (8) and value (~15 bytes) aside.
    println!("10,000 buffered writes: host peak +{peak} bytes, {per_write} bytes a write");
    assert!(per_write <= 256 + 8 + 24, "{per_write} bytes a write");
}

/// A query naming a component 40,000 times: refused before the host reads
/// the list.
fn long_name_list(engine: &ScriptEngine) {
    let mut world = world(engine);
    let id = attach(
        &mut world,
        "local names = {} for i = 1, 40000 do names[i] = 'Position' end\n\
         function on_update() ecs.query(table.unpack(names)) end",
        Permissions::default().read(["Position"]),
    );
    let base = start_peak();
    ScriptRunner::tick(&mut world, 0.1);
    let peak = peak_since(base);
    println!("query of 40,000 names: host peak +{peak} bytes");
    assert!(
        !world
            .resource::<ScriptManager>()
            .errors(id)
            .expect("a loaded script")
            .is_empty()
    );
    assert!(peak < 4 * MIB, "host peak +{peak}");
}

/// Eight entities each with an 8 MB value, read by `ecs.each` naming the
/// component 64 times: the host copies each value once per entity, pages
/// stop past 1 MiB, and the call ends within its budgets.
fn each_repeated_big_name(engine: &ScriptEngine) {
    let mut world = world(engine);
    let big = luabox::JsonText::parse_text(format!("\"{}\"", "b".repeat(8_000_000))).unwrap();
    let registry = world.resource::<ComponentRegistry>().clone();
    for _ in 0..8 {
        let entity = world.spawn_empty().id();
        registry.insert(&mut world, entity, "Blob", big.to_value());
    }
    drop(big);
    let id = attach(
        &mut world,
        "local names = {} for i = 1, 64 do names[i] = 'Blob' end\n\
         function on_update() for e, a in ecs.each(table.unpack(names)) do end end",
        Permissions::default().read(["Blob"]),
    );
    let base = start_peak();
    let started = std::time::Instant::now();
    ScriptRunner::tick(&mut world, 0.1);
    let took = started.elapsed();
    let peak = peak_since(base);
    let errors: Vec<String> = world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script")
        .iter()
        .map(ToString::to_string)
        .collect();
    println!("ecs.each of 64 x an 8 MB value: {errors:.80?}; host peak +{peak} bytes in {took:?}");
    assert!(peak < 48 * MIB, "host peak +{peak}");
    assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
}

/// An 8 MiB string of control characters written to a schema-less
/// component: its JSON (6 bytes a character) is what the host would keep,
/// so that is what the write budget is charged, before it is made whole.
fn escaped_schemaless_write(engine: &ScriptEngine) {
    let mut world = world(engine);
    let id = attach(
        &mut world,
        "local big = string.rep('\\1', 8 * 1024 * 1024)\n\
         function on_update() ecs.insert(entity, 'Blob', big) end",
        Permissions::default().write(["Blob"]),
    );
    let base = start_peak();
    ScriptRunner::tick(&mut world, 0.1);
    let peak = peak_since(base);
    let error = world
        .resource::<ScriptManager>()
        .errors(id)
        .expect("a loaded script")[0]
        .to_string();
    println!("8 MiB of \\1 into a JSON component: {error:.80}; host peak +{peak} bytes");
    assert!(error.contains("too many writes"), "{error}");
    let cap = Limits::default().write_bytes;
    assert!(peak < cap + 16 * MIB, "host peak +{peak}");
}

/// Events an engine never drains: bounded in count and in bytes.
fn undrained_events(engine: &ScriptEngine) {
    let mut world = world(engine);
    // 64 events a tick, each 16 KB of control characters (96 KB as JSON).
    attach(
        &mut world,
        "local payload = string.rep('\\1', 16 * 1024 - 8)\n\
         function on_update() for i = 1, 64 do ecs.emit('flood', payload) end end",
        Permissions::default().emit(["flood"]),
    );
    ScriptRunner::tick(&mut world, 0.1);
    let base = live();
    for _ in 0..80 {
        ScriptRunner::tick(&mut world, 0.1);
    }
    let growth = live().saturating_sub(base);
    let emitted = world.resource::<luabox::ecs::EmittedEvents>();
    println!(
        "80 ticks of 64 undrained 96 KB events: {} held, {} dropped; host grew {growth} bytes",
        emitted.len(),
        emitted.dropped()
    );
    assert!(emitted.dropped() > 0);
    assert!(
        growth < luabox::ecs::MAX_UNDRAINED_EVENT_BYTES + 4 * MIB,
        "the host grew {growth} bytes"
    );
}

#[test]
fn hostile_scripts_cannot_grow_the_host() {
    let engine = engine();
    error_history(&engine);
    scene_report(&engine);
    big_result(&engine);
    buffered_writes(&engine);
    bytes_per_write(&engine);
    long_name_list(&engine);
    each_repeated_big_name(&engine);
    escaped_schemaless_write(&engine);
    undrained_events(&engine);
}
