//! What every benchmark shares: interleaved sampling, medians, one row of the
//! table written to `target/bench/rows/<bench>.json`, and the two sides of a
//! comparison (a luabox engine, native Lua 5.4 through mlua).
//!
//! Each benchmark alternates luabox and native samples round by round, so
//! both sides see the same machine state; the row is the ratio of medians.
#![allow(dead_code)] // each benchmark uses part of this

pub mod world;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use luabox::{CacheDir, EngineConfig, ScriptConfig, ScriptEngine, ScriptInstance};
use serde::Serialize;

/// The engine a benchmark measures: the default configuration, with the
/// guest cached next to the other build outputs.
pub fn engine() -> ScriptEngine {
    engine_with(EngineConfig::default())
}

/// An engine with `config`, its cache directed under `target/`.
pub fn engine_with(config: EngineConfig) -> ScriptEngine {
    let config = config.with_cache(CacheDir::At(target_dir().join("tmp/luabox-cache")));
    match ScriptEngine::new(config) {
        Ok(engine) => engine,
        Err(error) => panic!("starting the engine: {error}"),
    }
}

/// A sandbox with the default limits that has run `source`.
pub fn sandbox(engine: &ScriptEngine, source: &str) -> ScriptInstance {
    let mut sandbox = engine
        .instantiate("bench.lua", &ScriptConfig::default())
        .unwrap_or_else(|error| panic!("instantiate: {error}"));
    if let Err(error) = sandbox.run(source) {
        panic!("setting up the benchmark script: {error}");
    }
    sandbox
}

/// Native Lua 5.4 (mlua, vendored) with the same libraries, having run `source`.
pub fn native(source: &str) -> mlua::Lua {
    let lua = mlua::Lua::new();
    if let Err(error) = lua.load(source).exec() {
        panic!("setting up the native script: {error}");
    }
    lua
}

/// Calls the sandbox's global `bench`; panics on any error (a benchmark
/// whose script fails measures nothing).
pub fn call_sandbox(sandbox: &mut ScriptInstance) {
    if let Err(error) = sandbox.call::<serde::de::IgnoredAny>("bench", ()) {
        panic!("luabox bench(): {error}");
    }
}

/// Calls the native state's global `bench`.
pub fn call_native(lua: &mlua::Lua) {
    let call = lua
        .globals()
        .get::<mlua::Function>("bench")
        .and_then(|bench| bench.call::<()>(()));
    if let Err(error) = call {
        panic!("native bench(): {error}");
    }
}

/// How long `f` takes.
pub fn time(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

/// Alternates `luabox` and `native` for `rounds` rounds (after one warm-up
/// round each) and returns the medians of their samples, in that order.
pub fn interleaved(
    rounds: usize,
    mut luabox: impl FnMut() -> Duration,
    mut native: impl FnMut() -> Duration,
) -> (Duration, Duration) {
    luabox();
    native();
    let mut ours = Vec::with_capacity(rounds);
    let mut theirs = Vec::with_capacity(rounds);
    for round in 0..rounds {
        // Alternate who goes first, so neither side always runs on a warm cache.
        if round % 2 == 0 {
            ours.push(luabox());
            theirs.push(native());
        } else {
            theirs.push(native());
            ours.push(luabox());
        }
    }
    (median(ours), median(theirs))
}

/// The median of `samples`.
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// A compute row: `source` defines a global `bench()`; both sides call it,
/// `rounds` times each, interleaved; the row's target is `target_ratio`.
pub fn compute_row(bench: &str, label: &str, source: &str, rounds: usize, target_ratio: f64) {
    let engine = engine();
    let mut sandbox = sandbox(&engine, source);
    let lua = native(source);
    let (ours, theirs) = interleaved(
        rounds,
        || time(|| call_sandbox(&mut sandbox)),
        || time(|| call_native(&lua)),
    );
    Row::new(bench, label, Unit::Ms, ours, theirs)
        .ratio_target(target_ratio)
        .report();
}

/// The unit a row is printed in.
#[derive(Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Ms,
    Us,
    Ns,
    Kib,
}

impl Unit {
    fn per_second(self) -> f64 {
        match self {
            Unit::Ms => 1e3,
            Unit::Us => 1e6,
            Unit::Ns => 1e9,
            Unit::Kib => 1.0,
        }
    }
}

/// One row of the table.
#[derive(Serialize)]
pub struct Row {
    /// The benchmark's file name, which orders the table.
    pub bench: String,
    /// What is measured.
    pub row: String,
    pub unit: Unit,
    pub luabox: f64,
    /// The baseline's value, in `unit`.
    pub baseline: f64,
    /// What the baseline is (`mlua` unless said).
    pub baseline_name: String,
    /// luabox / baseline.
    pub ratio: f64,
    /// The ratio the issue asks for, if any.
    pub target_ratio: Option<f64>,
    /// The absolute value the issue asks for (in `unit`), if any.
    pub target_value: Option<f64>,
    /// Whether every target of the row is met.
    pub met: bool,
}

impl Row {
    /// A row of two durations.
    pub fn new(bench: &str, row: &str, unit: Unit, luabox: Duration, baseline: Duration) -> Self {
        let scale = unit.per_second();
        Self::values(
            bench,
            row,
            unit,
            luabox.as_secs_f64() * scale,
            baseline.as_secs_f64() * scale,
        )
    }

    /// A row of two plain values (sizes, per-operation times).
    pub fn values(bench: &str, row: &str, unit: Unit, luabox: f64, baseline: f64) -> Self {
        Row {
            bench: bench.into(),
            row: row.into(),
            unit,
            luabox,
            baseline,
            baseline_name: "mlua".into(),
            ratio: luabox / baseline,
            target_ratio: None,
            target_value: None,
            met: true,
        }
    }

    pub fn baseline(mut self, name: &str) -> Self {
        self.baseline_name = name.into();
        self
    }

    pub fn ratio_target(mut self, ratio: f64) -> Self {
        self.target_ratio = Some(ratio);
        self
    }

    pub fn value_target(mut self, value: f64) -> Self {
        self.target_value = Some(value);
        self
    }

    /// Prints the row and writes it where `make bench`'s summary finds it.
    pub fn report(mut self) {
        self.met = self.target_ratio.is_none_or(|target| self.ratio <= target)
            && self.target_value.is_none_or(|target| self.luabox <= target);
        println!(
            "{:<46} luabox {:>10.3} {:<3} {:<12} {:>10.3}  ratio {:>6.2}x  {}",
            self.row,
            self.luabox,
            unit_name(self.unit),
            self.baseline_name,
            self.baseline,
            self.ratio,
            if self.met { "met" } else { "NOT met" }
        );
        let dir = target_dir().join("bench/rows");
        let written = std::fs::create_dir_all(&dir).and_then(|()| {
            let json = serde_json::to_string_pretty(&self).unwrap_or_default();
            std::fs::write(dir.join(format!("{}.json", self.bench)), json)
        });
        if let Err(error) = written {
            panic!("writing the row of {}: {error}", self.bench);
        }
    }
}

/// How a unit is printed.
pub fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Ms => "ms",
        Unit::Us => "µs",
        Unit::Ns => "ns",
        Unit::Kib => "KiB",
    }
}

/// The workspace's `target/` directory.
pub fn target_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp` for benchmarks.
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().map(PathBuf::from).unwrap_or(tmp)
}
