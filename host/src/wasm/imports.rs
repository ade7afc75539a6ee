//! The host side of the guest's imports: `wit/console.wit` and
//! `wit/tasks.wit` here, `wit/ecs.wit` in [`crate::ecs::host_calls`] (with the
//! world adapter, [`crate::ecs::world`], all a script can reach on the host).
//!
//! They are linked by hand rather than through the generated traits because
//! each needs the store, not just its data: every call is charged to the
//! script's fuel (see [`crate::wasm::budget`]), and arguments are read from the
//! guest's memory only after their size has been checked, so no call copies
//! more than its caps allow. Any value crossing from the guest is hostile: a
//! malformed one (invalid UTF-8, out-of-bounds) traps the call, which ends
//! the instance; a malformed component value is refused as a bad value.

use wasmtime::component::{Linker, WasmList, WasmStr};
use wasmtime::{AsContextMut, StoreContextMut};

use crate::sandbox::console::ConsoleLevel;
use crate::sandbox::error::Limit;
use crate::wasm::bindings;
use crate::wasm::budget::{FUEL_PER_CALL, HostLimitReached, HostWork};
use crate::wasm::host_state::HostState;

const CONSOLE: &str = "luabox:sandbox/console@0.1.0";
const TASKS: &str = "luabox:sandbox/tasks@0.1.0";

/// The store as a host function sees it.
pub(crate) type Store<'a> = StoreContextMut<'a, HostState>;

/// Defines every import of the guest in `linker`: the console and tasks
/// here, the ECS calls in [`crate::ecs::host_calls`].
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker
        .instance(CONSOLE)?
        .func_wrap("log", |store, (level, message)| log(store, level, message))?;
    let mut tasks = linker.instance(TASKS)?;
    tasks.func_wrap("now", |mut store, ()| {
        charge_call(&mut store)?;
        let clock = store.data().clock;
        Ok((bindings::tasks::Clock {
            time: clock.time,
            tick: clock.tick,
        },))
    })?;
    tasks.func_wrap(
        "waiting",
        |mut store, (count, wake_at): (u32, Option<f64>)| {
            charge_call(&mut store)?;
            // Whatever the guest says only decides when it is called next
            // (a NaN would never come due) and what reports show.
            let state = store.data_mut();
            state.tasks_waiting = count;
            state.wake_at = wake_at.filter(|time| !time.is_nan());
            Ok(())
        },
    )?;
    crate::ecs::host_calls::add_to_linker(linker)?;
    Ok(())
}

/// The guest's string as an owned `String`. Its size is already bounded: the
/// store's hostcall fuel caps the bytes of any one crossing.
pub(crate) fn read(store: &mut Store<'_>, text: &WasmStr) -> wasmtime::Result<String> {
    Ok(text.to_str(store.as_context_mut())?.into_owned())
}

/// The guest's bytes, copied (bounded as strings are).
pub(crate) fn bytes(store: &mut Store<'_>, list: &WasmList<u8>) -> Vec<u8> {
    list.as_le_slice(store.as_context_mut()).to_vec()
}

/// Charges a plain host call (no bytes, no world) to the script.
fn charge_call(store: &mut Store<'_>) -> wasmtime::Result<()> {
    let mut work = HostWork::new(store.get_fuel().ok(), store.data().deadline);
    let charged = work.charge(FUEL_PER_CALL);
    settle(store, &work)?;
    Ok(charged?)
}

/// Writes the fuel left after host work back to the store.
pub(crate) fn settle(store: &mut Store<'_>, work: &HostWork) -> wasmtime::Result<()> {
    if let Some(left) = work.fuel_left() {
        store.set_fuel(left)?;
    }
    Ok(())
}

fn log(
    mut store: Store<'_>,
    level: bindings::Level,
    message: WasmStr,
) -> wasmtime::Result<(Result<(), String>,)> {
    if !store.data().console_allowed {
        let message = "permission denied: this script may not use the console";
        store.data_mut().record_denial(message);
        return Ok((Err(message.into()),));
    }
    let level = match level {
        bindings::Level::Info => ConsoleLevel::Info,
        bindings::Level::Warn => ConsoleLevel::Warn,
        bindings::Level::Error => ConsoleLevel::Error,
    };
    let room = store.data().console.room();
    let mut work = HostWork::new(store.get_fuel().ok(), store.data().deadline);
    let text = message.to_str(store.as_context_mut())?;
    // Copied only once it is known to fit.
    let fitting = work
        .charge(FUEL_PER_CALL)
        .and_then(|()| work.charge_bytes(text.len()))
        .and_then(|()| room.check(&text))
        .map(|()| text.into_owned());
    settle(&mut store, &work)?;
    store.data_mut().console.push(level, fitting?);
    Ok((Ok(()),))
}

/// The limit a trap from host work stands for, if it is one.
pub(crate) fn host_limit(error: &wasmtime::Error) -> Option<(Limit, &str)> {
    error
        .downcast_ref::<HostLimitReached>()
        .map(|limit| (limit.limit, limit.message.as_str()))
}
