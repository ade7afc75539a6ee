//! The luabox guest: PUC Lua 5.4 inside a WebAssembly component.
//!
//! Everything a script can reach is set up here, in Rust and C, before the
//! script runs: the safe libraries, `print` routed to the host console, a
//! text-only `load`, a trimmed `collectgarbage`, `debug.traceback` alone.
//! Nothing in this glue is written in Lua, so a script cannot poison it
//! through globals or the string metatable.
//!
//! The guest is one instance per script: the Lua state below is the whole of
//! that script's world, and the host throws the instance away after any trap.
//! What the guest keeps for that state hangs off it ([`state`]); how the glue
//! raises and pushes safely is written once, in [`stack`].

#![deny(clippy::undocumented_unsafe_blocks)]

mod allocator;
mod console;
mod ecs;
mod errors;
mod libc_shims;
mod lua;
mod sandbox;
mod stack;
mod state;
mod tasks;
mod value;

use exports::luabox::sandbox::script::{Guest, Options, ScriptError};

wit_bindgen::generate!({
    world: "sandbox",
    path: "../wit",
});

struct Sandbox;

impl Guest for Sandbox {
    fn prepare() {
        sandbox::prepare()
    }

    fn init(options: Options) -> Result<(), ScriptError> {
        sandbox::init(options)
    }

    fn run(name: String, source: Vec<u8>) -> Result<Vec<u8>, ScriptError> {
        let outcome = sandbox::run(&name, &source);
        sandbox::report_tasks();
        outcome
    }

    fn call(function: String, args: Vec<u8>) -> Result<Option<Vec<u8>>, ScriptError> {
        let outcome = sandbox::call(&function, &args);
        sandbox::report_tasks();
        outcome
    }

    fn resume() -> Result<Option<bool>, ScriptError> {
        sandbox::resume()
    }

    fn start() -> Result<(), ScriptError> {
        sandbox::start()
    }

    fn update(dt: f64) -> Result<(), ScriptError> {
        sandbox::update(dt)
    }

    fn event(name: String, payload: Vec<u8>, sender: Option<u64>) -> Result<(), ScriptError> {
        sandbox::event(&name, &payload, sender)
    }

    fn close() {
        sandbox::close()
    }
}

export!(Sandbox);
