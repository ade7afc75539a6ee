//! The wasm plumbing.

pub(crate) mod bindings;
pub(crate) mod budget;
pub(crate) mod cache;
pub(crate) mod host_state;
pub(crate) mod imports;
pub(crate) mod msgpack;
pub(crate) mod preinit;
pub(crate) mod share;
