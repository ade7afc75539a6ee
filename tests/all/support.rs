//! Shared helpers: one engine for the whole test binary, and short ways to
//! run a script and look at what happened.

use std::path::PathBuf;
use std::sync::LazyLock;

use luabox::{
    CacheDir, EngineConfig, Limit, Limits, ScriptConfig, ScriptEngine, ScriptError, ScriptInstance,
};
use serde_json::Value;

/// A cache directory private to the tests.
pub fn test_cache() -> CacheDir {
    CacheDir::At(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("luabox-cache"))
}

/// The engine all tests share (loading the guest once per test binary).
pub fn engine() -> &'static ScriptEngine {
    static ENGINE: LazyLock<ScriptEngine> = LazyLock::new(|| {
        ScriptEngine::new(EngineConfig::default().with_cache(test_cache())).expect("engine")
    });
    &ENGINE
}

/// What one run produced.
pub struct Outcome {
    pub result: Result<Value, ScriptError>,
    pub output: Vec<String>,
    pub instance: ScriptInstance,
}

impl Outcome {
    /// The printed lines joined with newlines.
    pub fn text(&self) -> String {
        self.output.join("\n")
    }

    /// The error, or a panic naming what the script returned instead.
    pub fn error(&self) -> &ScriptError {
        match &self.result {
            Err(error) => error,
            Ok(value) => panic!("expected an error, got {value} (output: {:?})", self.output),
        }
    }

    /// The result, or a panic naming the error.
    pub fn value(&self) -> &Value {
        match &self.result {
            Ok(value) => value,
            Err(error) => panic!("expected success, got {error} (output: {:?})", self.output),
        }
    }

    /// Asserts the run ended on `limit`.
    pub fn assert_limit(&self, limit: Limit) {
        match self.error() {
            ScriptError::ResourceLimitExceeded { limit: got, .. } if *got == limit => {}
            other => panic!("expected {limit} limit, got {other:?}"),
        }
    }
}

/// Runs `source` as `test.lua` under `limits` in a fresh sandbox.
pub fn run_with(limits: Limits, source: &str) -> Outcome {
    run_in("test.lua", limits, source)
}

/// Runs `source` as `name` with the default limits.
pub fn run_named(name: &str, source: &str) -> Outcome {
    run_in(name, Limits::default(), source)
}

fn run_in(name: &str, limits: Limits, source: &str) -> Outcome {
    let config = ScriptConfig::default().with_limits(limits);
    let mut instance = engine().instantiate(name, &config).expect("instantiate");
    let result = instance.run(source);
    let output = instance.take_output().into_iter().map(|m| m.text).collect();
    Outcome {
        result,
        output,
        instance,
    }
}

/// Runs `source` with the default limits.
pub fn run(source: &str) -> Outcome {
    run_with(Limits::default(), source)
}
