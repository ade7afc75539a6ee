//! The host side of the guest's imports (`wit/console.wit`, `wit/ecs.wit`,
//! `wit/tasks.wit`):
//! every function a script can reach on the host.
//!
//! They are linked by hand rather than through the generated traits because
//! each needs the store, not just its data: every call is charged to the
//! script's fuel (see [`crate::budget`]), and arguments are read from the
//! guest's memory only after their size has been checked, so no call copies
//! more than its caps allow. Any value crossing from the guest is hostile: a
//! malformed one (invalid UTF-8, out-of-bounds) traps the call, which ends
//! the instance; a malformed component value is refused as a bad value.

use wasmtime::component::{Linker, WasmList, WasmStr};
use wasmtime::{AsContextMut, StoreContextMut};

use crate::bindings;
use crate::budget::{FUEL_PER_CALL, HostLimitReached, HostWork, MAX_NAMES_PER_CALL};
use crate::console::ConsoleLevel;
use crate::ecs_api::{CallError, EcsError, EcsErrorKind};
use crate::error::Limit;
use crate::host_state::HostState;
use crate::world::Access;

const CONSOLE: &str = "luabox:sandbox/console@0.1.0";
const ECS: &str = "luabox:sandbox/ecs@0.1.0";
const TASKS: &str = "luabox:sandbox/tasks@0.1.0";

type Store<'a> = StoreContextMut<'a, HostState>;
type WitEcsError = bindings::ecs::EcsError;
type EcsResult<T> = wasmtime::Result<(Result<T, WitEcsError>,)>;

/// Defines the console and ECS imports in `linker`.
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
    let mut ecs = linker.instance(ECS)?;
    ecs.func_wrap("resolve", |mut store, (name,): (WasmStr,)| {
        let name = read(&mut store, &name)?;
        ecs_call(store, name.len(), |state, _| state.resolve(&name))
    })?;
    ecs.func_wrap("spawn", |store, (components,)| spawn(store, components))?;
    ecs.func_wrap("despawn", |store, (entity,): (u64,)| {
        ecs_call(store, 0, |state, work| state.world()?.despawn(entity, work))
    })?;
    ecs.func_wrap("exists", |store, (entity,): (u64,)| {
        let (outcome,) = ecs_call(store, 0, |state, _| Ok(state.world()?.exists(entity)))?;
        // With no world attached, nothing exists.
        Ok((outcome.unwrap_or(false),))
    })?;
    ecs.func_wrap("get", |store, (entity, component): (u64, u32)| {
        ecs_call(store, 0, |state, work| {
            let access = state.access(component)?;
            state.world()?.get(entity, access, work)
        })
    })?;
    ecs.func_wrap(
        "insert",
        |mut store, (entity, component, value): (u64, u32, WasmList<u8>)| {
            let value = bytes(&mut store, &value);
            ecs_call(store, value.len(), |state, work| {
                let access = state.access(component)?;
                state.world()?.insert(entity, access, value, work)
            })
        },
    )?;
    ecs.func_wrap("remove", |store, (entity, component): (u64, u32)| {
        ecs_call(store, 0, |state, _| {
            let access = state.access(component)?;
            state.world()?.remove(entity, access)
        })
    })?;
    ecs.func_wrap("has", |store, (entity, component): (u64, u32)| {
        ecs_call(store, 0, |state, _| {
            let access = state.access(component)?;
            state.world()?.has(entity, access)
        })
    })?;
    ecs.func_wrap("query", |store, (with, without)| {
        query(store, with, without)
    })?;
    ecs.func_wrap(
        "emit",
        |mut store, (name, payload): (WasmStr, WasmList<u8>)| {
            let name = read(&mut store, &name)?;
            let payload = bytes(&mut store, &payload);
            ecs_call(store, name.len() + payload.len(), |state, _| {
                state.world()?.emit(name, payload)
            })
        },
    )?;
    ecs.func_wrap("each-open", |mut store, (components,): (WasmList<u32>,)| {
        if components.len() > MAX_NAMES_PER_CALL {
            return refused(&mut store, too_many_names(components.len()));
        }
        let components = numbers(&mut store, &components);
        ecs_call(store, 0, |state, work| {
            let access = accesses(state, &components)?;
            state.world()?.each_open(&access, work)
        })
    })?;
    ecs.func_wrap("each-next", |store, (cursor, max): (u32, u32)| {
        ecs_call(store, 0, |state, work| {
            let page = state.world()?.each_next(cursor, max, work)?;
            Ok(bindings::ecs::Page {
                entities: page.entities,
                values: page.values,
            })
        })
    })?;
    Ok(())
}

/// The guest's string as an owned `String`. Its size is already bounded: the
/// store's hostcall fuel caps the bytes of any one crossing.
fn read(store: &mut Store<'_>, text: &WasmStr) -> wasmtime::Result<String> {
    Ok(text.to_str(store.as_context_mut())?.into_owned())
}

/// The guest's bytes, copied (bounded as strings are).
fn bytes(store: &mut Store<'_>, list: &WasmList<u8>) -> Vec<u8> {
    list.as_le_slice(store.as_context_mut()).to_vec()
}

/// The guest's numbers, copied (the caller checked the length).
fn numbers(store: &mut Store<'_>, list: &WasmList<u32>) -> Vec<u32> {
    list.as_le_slice(store.as_context_mut())
        .iter()
        .map(|number| u32::from_le(*number))
        .collect()
}

/// What the script may do with each component number.
fn accesses(state: &mut HostState, components: &[u32]) -> Result<Vec<Access>, CallError> {
    components.iter().map(|id| state.access(*id)).collect()
}

/// The refusal of a list of names over the cap (the guest raises it after
/// the function's name).
fn too_many_names(count: usize) -> EcsError {
    EcsError::new(
        EcsErrorKind::BadValue,
        format!("{count} component names in one call; at most {MAX_NAMES_PER_CALL}"),
    )
}

/// Runs one ECS operation with the call's budget: charges the crossing
/// (`bytes` read from the guest) and whatever the operation charges, writes
/// the fuel left back to the store, and turns a refusal into the WIT error
/// the guest raises (counting permission refusals) and a reached limit into
/// a trap.
fn ecs_call<R>(
    mut store: Store<'_>,
    bytes: usize,
    op: impl FnOnce(&mut HostState, &mut HostWork) -> Result<R, CallError>,
) -> EcsResult<R> {
    let mut work = HostWork::new(store.get_fuel().ok(), store.data().deadline);
    let outcome = match work
        .charge(FUEL_PER_CALL)
        .and_then(|()| work.charge_bytes(bytes))
    {
        Ok(()) => op(store.data_mut(), &mut work),
        Err(limit) => Err(CallError::Limit(limit)),
    };
    settle(&mut store, &work)?;
    match outcome {
        Ok(value) => Ok((Ok(value),)),
        Err(CallError::Refused(error)) => refused(&mut store, error),
        Err(CallError::Limit(limit)) => Err(limit.into()),
    }
}

/// Charges a plain host call (no bytes, no world) to the script.
fn charge_call(store: &mut Store<'_>) -> wasmtime::Result<()> {
    let mut work = HostWork::new(store.get_fuel().ok(), store.data().deadline);
    let charged = work.charge(FUEL_PER_CALL);
    settle(store, &work)?;
    Ok(charged?)
}

/// Writes the fuel left after host work back to the store.
fn settle(store: &mut Store<'_>, work: &HostWork) -> wasmtime::Result<()> {
    if let Some(left) = work.fuel_left() {
        store.set_fuel(left)?;
    }
    Ok(())
}

/// The call's answer for a refusal; a permission refusal is counted.
fn refused<T>(store: &mut Store<'_>, error: EcsError) -> EcsResult<T> {
    if error.kind == EcsErrorKind::PermissionDenied {
        store.data_mut().record_denial(&error.message);
    }
    use bindings::ecs::ErrorKind as Wit;
    let kind = match error.kind {
        EcsErrorKind::PermissionDenied => Wit::PermissionDenied,
        EcsErrorKind::NoSuchEntity => Wit::NoSuchEntity,
        EcsErrorKind::UnknownComponent => Wit::UnknownComponent,
        EcsErrorKind::BadValue => Wit::BadValue,
        EcsErrorKind::Unavailable => Wit::Unavailable,
        EcsErrorKind::TooManyWrites => Wit::TooManyWrites,
        EcsErrorKind::TooManyEvents => Wit::TooManyEvents,
    };
    Ok((Err(WitEcsError {
        kind,
        message: error.message,
    }),))
}

fn spawn(mut store: Store<'_>, components: WasmList<(u32, WasmList<u8>)>) -> EcsResult<u64> {
    if components.len() > MAX_NAMES_PER_CALL {
        return refused(&mut store, too_many_names(components.len()));
    }
    let lists: Vec<(u32, WasmList<u8>)> = components
        .iter(store.as_context_mut())?
        .collect::<Result<_, _>>()?;
    let values: Vec<(u32, Vec<u8>)> = lists
        .iter()
        .map(|(id, list)| (*id, bytes(&mut store, list)))
        .collect();
    let size = values.iter().map(|(_, value)| value.len()).sum();
    ecs_call(store, size, |state, work| {
        let components = values
            .into_iter()
            .map(|(id, value)| Ok((state.access(id)?, value)))
            .collect::<Result<_, CallError>>()?;
        state.world()?.spawn(components, work)
    })
}

fn query(mut store: Store<'_>, with: WasmList<u32>, without: WasmList<u32>) -> EcsResult<Vec<u64>> {
    let count = with.len().saturating_add(without.len());
    if count > MAX_NAMES_PER_CALL {
        return refused(&mut store, too_many_names(count));
    }
    let with = numbers(&mut store, &with);
    let without = numbers(&mut store, &without);
    ecs_call(store, 0, |state, work| {
        let with = accesses(state, &with)?;
        let without = accesses(state, &without)?;
        state.world()?.query(&with, &without, work)
    })
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
