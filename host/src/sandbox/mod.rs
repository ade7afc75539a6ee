//! The sandbox: the crate root's API. One [`ScriptEngine`] compiles the guest
//! once; each script gets a [`ScriptInstance`] with its own Lua state, bounded
//! by its [`Limits`].
//!
//! - `engine`: [`ScriptEngine`], wasmtime configured once (fuel, epochs, the
//!   pool), the epoch ticker behind every timeout.
//! - `instance`: [`ScriptInstance`], one store and instance per script; every
//!   call into the guest runs under a budget, and a trap ends the instance.
//! - `config`: [`Limits`], [`ScriptConfig`], [`EngineConfig`], [`StdLib`]:
//!   what a script may use and how much of it, with their defaults.
//! - `console`: what one script prints ([`ConsoleMessage`]), capped per call.
//! - `error`: the one error type, [`ScriptError`].
//! - `json_text`: [`JsonText`], JSON kept as checked text at the edges.
//!
//! How a call reaches wasm is [`crate::wasm`]'s; a sandbox knows the ECS only
//! as a world lent to one call (see [`crate::ecs`]).
//!
//! [`ScriptEngine`]: crate::ScriptEngine
//! [`ScriptInstance`]: crate::ScriptInstance
//! [`Limits`]: crate::Limits
//! [`ScriptConfig`]: crate::ScriptConfig
//! [`EngineConfig`]: crate::EngineConfig
//! [`StdLib`]: crate::StdLib
//! [`ConsoleMessage`]: crate::ConsoleMessage
//! [`ScriptError`]: crate::ScriptError
//! [`JsonText`]: crate::JsonText

pub(crate) mod config;
pub(crate) mod console;
pub(crate) mod engine;
pub(crate) mod error;
pub(crate) mod instance;
pub(crate) mod json_text;
