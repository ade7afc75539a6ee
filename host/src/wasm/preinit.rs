//! Pre-initialisation of the guest with wasmtime's Wizer: the Lua state and
//! its libraries are created once, when the guest is compiled, and every
//! sandbox starts from that snapshot of memory instead of building them.
//!
//! The guest's `prepare` export makes the state; Wizer instruments the
//! component so its memories and globals can be read back, and rewrites it
//! with them as initial data. `init` then only applies a script's options.
//! The snapshot holds no script state: `prepare` runs before any script.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wasmtime::component::{Component, Instance, Linker, WasmList};
use wasmtime::{Engine, Store};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

use crate::sandbox::error::{Result, ScriptError};

/// The guest export that builds the state worth keeping.
const INTERFACE: &str = "luabox:sandbox/script@0.1.0";
const PREPARE: &str = "prepare";

/// Returns `guest` with its Lua state pre-initialised.
pub(crate) fn preinitialise(engine: &Engine, guest: &[u8]) -> Result<Vec<u8>> {
    let mut wizer = Wizer::new();
    wizer.keep_init_func(true);
    let (context, instrumented) = wizer
        .instrument_component(guest)
        .map_err(|error| failed("instrumenting the guest", error))?;
    let component = Component::new(engine, &instrumented)
        .map_err(|error| failed("compiling the guest for pre-initialisation", error))?;
    // `prepare` calls no import; any call would trap.
    let mut linker = Linker::new(engine);
    linker
        .define_unknown_imports_as_traps(&component)
        .map_err(|error| failed("linking the guest for pre-initialisation", error))?;
    let mut store = Store::new(engine, ());
    // Pre-initialisation is our own code, not a script's: no budget applies.
    let _ = store.set_fuel(u64::MAX);
    store.set_epoch_deadline(u64::MAX);
    let instance = linker
        .instantiate(&mut store, &component)
        .map_err(|error| failed("instantiating the guest for pre-initialisation", error))?;
    let prepare = instance
        .get_export_index(&mut store, None, INTERFACE)
        .and_then(|interface| instance.get_export_index(&mut store, Some(&interface), PREPARE))
        .ok_or_else(|| ScriptError::Engine {
            message: format!("the guest does not export {INTERFACE}#{PREPARE}"),
        })?;
    instance
        .get_typed_func::<(), ()>(&mut store, prepare)
        .and_then(|prepare| prepare.call(&mut store, ()))
        .map_err(|error| failed("pre-initialising the guest", error))?;
    let mut access = Access {
        store: &mut store,
        instance,
        error: None,
    };
    let snapshot = run_ready(wizer.snapshot_component(&context, &mut access))?;
    if let Some(error) = access.error {
        return Err(failed("reading the pre-initialised state", error));
    }
    snapshot.map_err(|error| failed("rewriting the pre-initialised guest", error))
}

fn failed(what: &str, error: wasmtime::Error) -> ScriptError {
    ScriptError::Engine {
        message: format!("{what}: {error:#}"),
    }
}

/// Drives a future that never waits (every step here is synchronous).
fn run_ready<F: Future>(future: F) -> Result<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Err(ScriptError::Engine {
            message: "pre-initialisation unexpectedly waited".into(),
        }),
    }
}

/// Reads the instrumented instance's state through the accessor functions
/// Wizer added. Failures are kept and reported after the snapshot (the
/// trait's methods cannot return them).
struct Access<'a> {
    store: &'a mut Store<()>,
    instance: Instance,
    error: Option<wasmtime::Error>,
}

impl Access<'_> {
    fn call<R>(&mut self, interface: &str, func: &str) -> Option<R>
    where
        R: wasmtime::component::ComponentType + wasmtime::component::Lift + Send + Sync + 'static,
    {
        let store = &mut *self.store;
        let outcome = self
            .instance
            .get_export_index(&mut *store, None, interface)
            .and_then(|parent| {
                self.instance
                    .get_export_index(&mut *store, Some(&parent), func)
            })
            .ok_or_else(|| wasmtime::format_err!("no accessor {interface}#{func}"))
            .and_then(|index| self.instance.get_typed_func::<(), (R,)>(&mut *store, index))
            .and_then(|typed| typed.call(&mut *store, ()));
        match outcome {
            Ok((value,)) => Some(value),
            Err(error) => {
                self.error.get_or_insert(error);
                None
            }
        }
    }
}

impl ComponentInstanceState for Access<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        interface: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        match self.call::<WasmList<u8>>(interface, func) {
            Some(list) => contents(list.as_le_slice(&*self.store)),
            None => contents(&[]),
        }
    }

    async fn call_func_ret_s32(&mut self, interface: &str, func: &str) -> i32 {
        self.call(interface, func).unwrap_or_default()
    }

    async fn call_func_ret_s64(&mut self, interface: &str, func: &str) -> i64 {
        self.call(interface, func).unwrap_or_default()
    }

    async fn call_func_ret_f32(&mut self, interface: &str, func: &str) -> u32 {
        self.call::<f32>(interface, func)
            .unwrap_or_default()
            .to_bits()
    }

    async fn call_func_ret_f64(&mut self, interface: &str, func: &str) -> u64 {
        self.call::<f64>(interface, func)
            .unwrap_or_default()
            .to_bits()
    }
}
