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
//! let config = ScriptConfig {
//!     limits: Limits::default().with_fuel(10_000_000),
//!     ..Default::default()
//! };
//! let mut script = engine.instantiate("spin.lua", &config)?;
//! let error = script.run("while true do end").unwrap_err();
//! assert!(matches!(error, ScriptError::ResourceLimitExceeded { limit: Limit::Fuel, .. }));
//! # Ok::<(), ScriptError>(())
//! ```
#![warn(missing_docs)]

mod annotations;
mod bindings;
mod budget;
mod cache;
mod config;
mod console;
mod ecs_api;
mod engine;
mod error;
mod events;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod host_state;
mod imports;
mod json_text;
mod manager;
mod msgpack;
mod permissions;
#[cfg(feature = "bevy")]
mod plugin;
mod registry;
mod report;
pub mod scene;
mod share;
mod snapshot;
mod system;
mod visibility;
mod world;

pub use annotations::Annotations;
pub use cache::GuestOrigin;
pub use config::{CacheDir, EngineConfig, Limits, ScriptConfig, StdLib};
pub use console::{ConsoleLevel, ConsoleMessage};
pub use engine::{ScriptEngine, ScriptInstance};
pub use error::{
    ErrorKind, Limit, MAX_ERROR_MESSAGE_BYTES, MAX_TRACEBACK_BYTES, Result, ScriptError,
};
pub use json_text::JsonText;

pub mod ecs {
    //! Scripts in a bevy `World`: one sandbox per scripted entity, the world
    //! reached through `ecs.*` under each script's [`Permissions`], every call a
    //! transaction.
    //!
    //! - [`ScriptManager`] (a resource) owns the scripts: loads, reloads,
    //!   unloads, disables and enables them, and keeps their sources and
    //!   records.
    //! - [`ScriptRunner`] is the only code that touches the world on the
    //!   scripts' behalf: [`ScriptRunner::attach`] a script to an entity,
    //!   [`ScriptRunner::tick`] the world (or add [`run_scripts`] to a
    //!   schedule, or `LuaboxPlugin` to an `App` with the `bevy` feature).
    //! - [`ComponentRegistry`] (a resource) names the components scripts may
    //!   use; [`ScriptConsole`] (a resource) collects what they print.

    pub use crate::console::{LogEntry, ScriptConsole};
    pub use crate::events::{
        EmittedEvent, EmittedEvents, MAX_EVENT_NAME_BYTES, MAX_EVENT_PAYLOAD_BYTES,
        MAX_EVENTS_PER_SCRIPT_TICK, MAX_EVENTS_PER_TICK, MAX_UNDRAINED_EVENT_BYTES,
        MAX_UNDRAINED_EVENTS,
    };
    pub use crate::manager::{LoadFailure, MAX_KEPT_ERRORS, ScriptId, ScriptManager, ScriptStatus};
    pub use crate::permissions::Permissions;
    #[cfg(feature = "bevy")]
    pub use crate::plugin::LuaboxPlugin;
    pub use crate::registry::{ComponentRegistry, JsonComponents};
    pub use crate::system::{
        Script, ScriptClock, ScriptDelta, ScriptEvents, ScriptRunner, run_scripts,
    };
}

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
