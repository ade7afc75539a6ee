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
//!
//! Files: `runner` ([`ScriptRunner`], the systems), `manager`
//! ([`ScriptManager`]), `registry`, `permissions`, `events`, `visibility`
//! (which entities scripts see), `log` ([`ScriptConsole`]), `plugin` (bevy
//! `App`), and the guest's side: `host_calls` (the `wit/ecs.wit` imports,
//! every ECS call a guest can make), `world` (what each call does to the
//! world, as a transaction), `call_error` (the refusals a script sees).

pub(crate) mod call_error;
pub(crate) mod entity_bits;
pub(crate) mod events;
pub(crate) mod host_calls;
pub(crate) mod log;
pub(crate) mod manager;
pub(crate) mod permissions;
#[cfg(feature = "bevy")]
pub(crate) mod plugin;
pub(crate) mod registry;
pub(crate) mod runner;
pub(crate) mod visibility;
pub(crate) mod world;

pub use crate::ecs::events::{
    EmittedEvent, EmittedEvents, MAX_EVENT_NAME_BYTES, MAX_EVENT_PAYLOAD_BYTES,
    MAX_EVENTS_PER_SCRIPT_TICK, MAX_EVENTS_PER_TICK, MAX_UNDRAINED_EVENT_BYTES,
    MAX_UNDRAINED_EVENTS,
};
pub use crate::ecs::log::{LogEntry, ScriptConsole};
pub use crate::ecs::manager::{
    LoadFailure, MAX_KEPT_ERRORS, ScriptId, ScriptManager, ScriptStatus,
};
pub use crate::ecs::permissions::Permissions;
#[cfg(feature = "bevy")]
pub use crate::ecs::plugin::{LuaboxPlugin, ScriptSystems};
pub use crate::ecs::registry::{ComponentError, ComponentRegistry, JsonComponents};
pub use crate::ecs::runner::{
    Script, ScriptClock, ScriptDelta, ScriptEvents, ScriptRunner, run_scripts,
};
