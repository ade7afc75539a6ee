//! # luabox
//!
//! Run untrusted Lua 5.4 scripts, each in its own WebAssembly sandbox.
//!
//! Goals, in order:
//! 1. **Containment.** A script reaches only what the sandbox hands it: the
//!    safe Lua libraries and the console. No `os`, `io`, `package`, `debug`
//!    (but `debug.traceback`), no binary chunks. Fuel, a wall-clock timeout,
//!    a memory cap, stack limits and an output cap bound every call; a trap
//!    ends the instance and nothing else.
//! 2. **Fidelity.** It is the real PUC Lua 5.4 interpreter: errors, `pcall`,
//!    coroutines, patterns and metatables behave as in native Lua.
//! 3. **Speed.** The guest is compiled once and cached; a sandbox is one
//!    wasmtime instance.
//!
//! ```
//! use luabox::{Limits, ScriptConfig, ScriptEngine, ScriptError, Limit};
//!
//! let engine = ScriptEngine::new(Default::default())?;
//! let config = ScriptConfig::default().with_limits(Limits::default().with_fuel(10_000_000));
//! let mut script = engine.instantiate("spin.lua", &config)?;
//! let error = script.run("while true do end").unwrap_err();
//! assert!(matches!(error, ScriptError::ResourceLimitExceeded { limit: Limit::Fuel, .. }));
//! # Ok::<(), ScriptError>(())
//! ```
#![warn(missing_docs)]

pub mod ecs;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod sandbox;
pub mod scene;
mod wasm;

pub use sandbox::config::{
    CacheDir, EngineConfig, Limits, MAX_TIMEOUT, SandboxAllocation, ScriptConfig, StdLib,
};
pub use sandbox::console::{ConsoleLevel, ConsoleMessage};
pub use sandbox::engine::ScriptEngine;
pub use sandbox::error::{
    ErrorKind, Limit, MAX_ERROR_MESSAGE_BYTES, MAX_TRACEBACK_BYTES, Result, ScriptError,
};
pub use sandbox::instance::ScriptInstance;
pub use sandbox::json_text::JsonText;
pub use scene::annotations::Annotations;
pub use wasm::cache::GuestOrigin;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
