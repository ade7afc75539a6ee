//! The host side of the guest's imports (`wit/console.wit`, `wit/ecs.wit`):
//! every function a script can reach on the host.
//!
//! They are linked by hand rather than through the generated traits because
//! each needs the store, not just its data: every call is charged to the
//! script's fuel (see [`crate::budget`]), and arguments are read from the
//! guest's memory only after their size has been checked, so no call copies
//! more than its caps allow. Any value crossing from the guest is hostile: a
//! malformed one (invalid UTF-8, out-of-bounds) traps the call, which ends
//! the instance.

use wasmtime::component::{Linker, WasmList, WasmStr};
use wasmtime::{AsContextMut, StoreContextMut};

use crate::bindings;
use crate::budget::{FUEL_PER_CALL, HostLimitReached, HostWork, MAX_NAMES_PER_CALL};
use crate::console::ConsoleLevel;
use crate::ecs_api::{CallError, EcsError, EcsErrorKind, EcsHost};
use crate::error::Limit;
use crate::host_state::HostState;

const CONSOLE: &str = "luabox:sandbox/console@0.1.0";
const ECS: &str = "luabox:sandbox/ecs@0.1.0";

type Store<'a> = StoreContextMut<'a, HostState>;
type WitEcsError = bindings::ecs::EcsError;
type EcsResult<T> = wasmtime::Result<(Result<T, WitEcsError>,)>;

/// Defines the console and ECS imports in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker
        .instance(CONSOLE)?
        .func_wrap("log", |store, (level, message)| log(store, level, message))?;
    let mut ecs = linker.instance(ECS)?;
    ecs.func_wrap("spawn", |store, (components,)| spawn(store, components))?;
    ecs.func_wrap("despawn", |store, (entity,): (u64,)| {
        ecs_call(store, 0, |host, work| host.despawn(entity, work))
    })?;
    ecs.func_wrap("exists", |store, (entity,): (u64,)| exists(store, entity))?;
    ecs.func_wrap("get", |mut store, (entity, name): (u64, WasmStr)| {
        let name = read(&mut store, &name)?;
        ecs_call(store, name.len(), |host, work| {
            host.get(entity, &name, work)
        })
    })?;
    ecs.func_wrap(
        "insert",
        |mut store, (entity, name, value): (u64, WasmStr, WasmStr)| {
            let name = read(&mut store, &name)?;
            let value = read(&mut store, &value)?;
            let bytes = name.len() + value.len();
            ecs_call(store, bytes, |host, work| {
                host.insert(entity, &name, value, work)
            })
        },
    )?;
    ecs.func_wrap("remove", |mut store, (entity, name): (u64, WasmStr)| {
        let name = read(&mut store, &name)?;
        ecs_call(store, name.len(), |host, work| {
            host.remove(entity, &name, work)
        })
    })?;
    ecs.func_wrap("has", |mut store, (entity, name): (u64, WasmStr)| {
        let name = read(&mut store, &name)?;
        ecs_call(store, name.len(), |host, work| {
            host.has(entity, &name, work)
        })
    })?;
    ecs.func_wrap("query", |store, (with, without)| {
        query(store, with, without)
    })?;
    Ok(())
}

/// The guest's string as an owned `String`. Its size is already bounded: the
/// store's hostcall fuel caps the bytes of any one crossing.
fn read(store: &mut Store<'_>, text: &WasmStr) -> wasmtime::Result<String> {
    Ok(text.to_str(store.as_context_mut())?.into_owned())
}

/// Reads a list of names from the guest (its length already checked).
fn read_names(store: &mut Store<'_>, list: &WasmList<WasmStr>) -> wasmtime::Result<Vec<String>> {
    let texts: Vec<WasmStr> = list
        .iter(store.as_context_mut())?
        .collect::<Result<_, _>>()?;
    texts.iter().map(|text| read(store, text)).collect()
}

fn too_many_names(what: &str, count: usize) -> EcsError {
    EcsError::new(
        EcsErrorKind::BadValue,
        format!("{what}: {count} component names in one call; at most {MAX_NAMES_PER_CALL}"),
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
    op: impl FnOnce(&mut dyn EcsHost, &mut HostWork) -> Result<R, CallError>,
) -> EcsResult<R> {
    let mut work = HostWork::new(store.get_fuel().ok(), store.data().deadline);
    let outcome = match work
        .charge(FUEL_PER_CALL)
        .and_then(|()| work.charge_bytes(bytes))
    {
        Ok(()) => store.data_mut().with_ecs(|host| op(host, &mut work)),
        Err(limit) => Err(CallError::Limit(limit)),
    };
    settle(&mut store, &work)?;
    match outcome {
        Ok(value) => Ok((Ok(value),)),
        Err(CallError::Refused(error)) => Ok((Err(refuse(&mut store, error)),)),
        Err(CallError::Limit(limit)) => Err(limit.into()),
    }
}

/// Writes the fuel left after host work back to the store.
fn settle(store: &mut Store<'_>, work: &HostWork) -> wasmtime::Result<()> {
    if let Some(left) = work.fuel_left() {
        store.set_fuel(left)?;
    }
    Ok(())
}

/// The WIT error for a refusal; a permission refusal is counted.
fn refuse(store: &mut Store<'_>, error: EcsError) -> WitEcsError {
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
    };
    WitEcsError {
        kind,
        message: error.message,
    }
}

fn spawn(mut store: Store<'_>, components: WasmList<(WasmStr, WasmStr)>) -> EcsResult<u64> {
    if components.len() > MAX_NAMES_PER_CALL {
        let error = too_many_names("ecs.spawn", components.len());
        return Ok((Err(refuse(&mut store, error)),));
    }
    let pairs: Vec<(WasmStr, WasmStr)> = components
        .iter(store.as_context_mut())?
        .collect::<Result<_, _>>()?;
    let mut read_pairs = Vec::with_capacity(pairs.len());
    for (name, value) in &pairs {
        read_pairs.push((read(&mut store, name)?, read(&mut store, value)?));
    }
    let bytes = read_pairs
        .iter()
        .map(|(name, value)| name.len() + value.len())
        .sum();
    ecs_call(store, bytes, |host, work| host.spawn(read_pairs, work))
}

fn exists(store: Store<'_>, entity: u64) -> wasmtime::Result<(bool,)> {
    let (outcome,) = ecs_call(store, 0, |host, work| host.exists(entity, work))?;
    // With no world attached, nothing exists.
    Ok((outcome.unwrap_or(false),))
}

fn query(
    mut store: Store<'_>,
    with: WasmList<WasmStr>,
    without: WasmList<WasmStr>,
) -> EcsResult<Vec<u64>> {
    if with.len().saturating_add(without.len()) > MAX_NAMES_PER_CALL {
        let error = too_many_names("ecs.query", with.len().saturating_add(without.len()));
        return Ok((Err(refuse(&mut store, error)),));
    }
    let mut with = read_names(&mut store, &with)?;
    let mut without = read_names(&mut store, &without)?;
    let bytes = with.iter().chain(&without).map(String::len).sum();
    // A name given twice is checked once.
    with.sort_unstable();
    with.dedup();
    without.sort_unstable();
    without.dedup();
    ecs_call(store, bytes, |host, work| host.query(&with, &without, work))
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
