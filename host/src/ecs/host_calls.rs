//! The host side of `wit/ecs.wit`: every ECS call a script can make, each
//! charged to the script's call (see [`crate::wasm::budget`]), its
//! arguments read from the guest's memory only once their size is checked,
//! and answered with a refusal the guest raises as a Lua error, or a trap
//! when a limit is reached. What each call does to the world is
//! [`crate::ecs::world`]'s; this file is the crossing. With
//! [`crate::wasm::imports`] (console and tasks) it is every function a
//! guest reaches on the host.

use std::collections::HashMap;

use wasmtime::AsContextMut;
use wasmtime::component::{Linker, WasmList, WasmStr};

use crate::ecs::call_error::{CallError, EcsError, EcsErrorKind};
use crate::ecs::world::{Access, WorldCall};
use crate::wasm::bindings;
use crate::wasm::budget::{FUEL_PER_CALL, HostWork, MAX_NAMES_PER_CALL};
use crate::wasm::host_state::HostState;
use crate::wasm::imports::{Store, bytes, read, settle};

const ECS: &str = "luabox:sandbox/ecs@0.1.0";

type WitEcsError = bindings::ecs::EcsError;
type EcsResult<T> = wasmtime::Result<(Result<T, WitEcsError>,)>;

/// Defines the ECS imports in `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
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

/// A sandbox's side of the ECS, kept in its store: the world lent to the
/// current call, and the components it has resolved.
#[derive(Default)]
pub(crate) struct SandboxWorld {
    /// The world, attached for the duration of a call.
    world: Option<Box<WorldCall>>,
    /// The component names this sandbox resolved, by number.
    components: SandboxComponents,
}

impl SandboxWorld {
    /// Attaches the world for the next calls. Components resolved against
    /// another registry are resolved again, by name, when next used.
    pub(crate) fn attach(&mut self, world: Box<WorldCall>) {
        let generation = world.registry_generation();
        if self.components.generation != generation {
            self.components.generation = generation;
            self.components.access.fill(None);
        }
        self.world = Some(world);
    }

    /// Detaches the world attached by [`SandboxWorld::attach`].
    pub(crate) fn detach(&mut self) -> Option<Box<WorldCall>> {
        self.world.take()
    }

    /// The attached world.
    pub(crate) fn world(&mut self) -> Result<&mut WorldCall, CallError> {
        self.world.as_deref_mut().ok_or_else(|| {
            CallError::Refused(EcsError::new(
                EcsErrorKind::Unavailable,
                "the world is not available here: scripts reach it from on_start, on_update and on_event",
            ))
        })
    }

    /// The number for the component `name`, resolving it the first time.
    pub(crate) fn resolve(&mut self, name: &str) -> Result<u32, CallError> {
        if let Some(&id) = self.components.ids.get(name) {
            self.access(id)?;
            return Ok(id);
        }
        let access = self.world()?.resolve(name)?;
        let id = u32::try_from(self.components.names.len()).unwrap_or(u32::MAX);
        self.components.names.push(name.to_string());
        self.components.access.push(Some(access));
        self.components.ids.insert(name.to_string(), id);
        Ok(id)
    }

    /// What the script may do with the component numbered `id`.
    pub(crate) fn access(&mut self, id: u32) -> Result<Access, CallError> {
        let at = usize::try_from(id).unwrap_or(usize::MAX);
        if let Some(Some(access)) = self.components.access.get(at) {
            return Ok(*access);
        }
        let Some(name) = self.components.names.get(at).cloned() else {
            return Err(CallError::Refused(EcsError::new(
                EcsErrorKind::UnknownComponent,
                format!("component number {id} was never resolved in this sandbox"),
            )));
        };
        let access = self.world()?.resolve(&name)?;
        self.components.access[at] = Some(access);
        Ok(access)
    }
}

/// The components one sandbox has resolved: names (which stay for the
/// sandbox's life, each with its number), and what the script may do with
/// each under the current registry generation. Every name was registered
/// when resolved, so the table is at most as long as the registry.
#[derive(Default)]
struct SandboxComponents {
    names: Vec<String>,
    ids: HashMap<String, u32>,
    access: Vec<Option<Access>>,
    /// The registry generation `access` holds for (0: none yet; registries
    /// number from 1).
    generation: u64,
}

/// The guest's numbers, copied (the caller checked the length).
fn numbers(store: &mut Store<'_>, list: &WasmList<u32>) -> Vec<u32> {
    list.as_le_slice(store.as_context_mut())
        .iter()
        .map(|number| u32::from_le(*number))
        .collect()
}

/// What the script may do with each component number.
fn accesses(state: &mut SandboxWorld, components: &[u32]) -> Result<Vec<Access>, CallError> {
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
    op: impl FnOnce(&mut SandboxWorld, &mut HostWork) -> Result<R, CallError>,
) -> EcsResult<R> {
    let mut work = HostWork::new(store.get_fuel().ok(), store.data().deadline);
    let outcome = match work
        .charge(FUEL_PER_CALL)
        .and_then(|()| work.charge_bytes(bytes))
    {
        Ok(()) => op(&mut store.data_mut().ecs, &mut work),
        Err(limit) => Err(CallError::Limit(limit)),
    };
    settle(&mut store, &work)?;
    match outcome {
        Ok(value) => Ok((Ok(value),)),
        Err(CallError::Refused(error)) => refused(&mut store, error),
        Err(CallError::Limit(limit)) => Err(limit.into()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_number_never_given_out_is_refused() {
        let mut state = SandboxWorld::default();
        // No world attached: resolving is unavailable, numbers are unknown.
        match state.resolve("Position") {
            Err(CallError::Refused(error)) => assert_eq!(error.kind, EcsErrorKind::Unavailable),
            other => panic!("{other:?}"),
        }
        for forged in [0, 7, u32::MAX] {
            match state.access(forged) {
                Err(CallError::Refused(error)) => {
                    assert_eq!(error.kind, EcsErrorKind::UnknownComponent);
                    assert!(
                        error.message.contains("never resolved"),
                        "{}",
                        error.message
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
