//! The sandbox.

pub(crate) mod config;
pub(crate) mod console;
pub(crate) mod engine;
pub(crate) mod error;
pub(crate) mod json_text;
