//! The wasm plumbing: everything that knows wasmtime and the WIT contract
//! (`wit/`). Nothing here is public API.
//!
//! - `bindings`: the guest's exports, generated from `wit/`.
//! - `imports`: the host side of the guest's console and task imports, and
//!   the linker that also takes the ECS calls ([`crate::ecs::host_calls`]).
//!   With `ecs/host_calls.rs` and `ecs/world.rs`, every path a guest reaches
//!   on the host.
//! - `host_state`: the data of one sandbox's store (memory cap, console,
//!   counters, clock, the ECS side).
//! - `budget`: what a call may spend and what host work costs ([`CallBudget`](budget::CallBudget));
//!   `share`: one tick's budget shared by a script's event and task calls.
//! - `msgpack`: values crossing the boundary, decoded bounded.
//! - `cache`: the compiled guest kept on disk; `preinit`: the guest's Lua
//!   state made once, at compile time (Wizer).

pub(crate) mod bindings;
pub(crate) mod budget;
pub(crate) mod cache;
pub(crate) mod host_state;
pub(crate) mod imports;
pub(crate) mod msgpack;
pub(crate) mod preinit;
pub(crate) mod share;
