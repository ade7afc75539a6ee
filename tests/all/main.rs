//! luabox's integration tests: one binary, one module per topic.

mod attacks;
mod cache;
mod cli;
mod determinism;
mod ecs;
mod engine;
mod errors;
mod fidelity;
mod host_limits;
mod imports;
mod isolation;
mod limits;
mod preview;
mod sandbox;
mod scene;
mod support;
