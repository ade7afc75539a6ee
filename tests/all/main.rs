//! luabox's integration tests: one binary, one module per topic.

mod annotations;
mod attacks;
mod cache;
mod closing;
mod determinism;
mod ecs;
mod engine;
mod errors;
mod events;
mod fidelity;
mod host_limits;
mod imports;
mod isolation;
mod limits;
mod sandbox;
mod scene;
mod support;
mod tasks;
mod typed;
