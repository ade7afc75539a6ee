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

pub(crate) mod call_error;
pub(crate) mod events;
pub(crate) mod manager;
pub(crate) mod permissions;
#[cfg(feature = "bevy")]
pub(crate) mod plugin;
pub(crate) mod registry;
pub(crate) mod runner;
pub(crate) mod visibility;
pub(crate) mod world;

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
