//! The host state of one sandbox's store: its memory cap, its console, its
//! permissions' counters, the components it has resolved, the world lent to
//! the current call and the call's deadline.

use std::collections::HashMap;
use std::time::Instant;

use wasmtime::ResourceLimiter;

use crate::console::Console;
use crate::ecs_api::{CallError, EcsError, EcsErrorKind};
use crate::world::{Access, WorldCall};

/// The host state of one store.
pub(crate) struct HostState {
    pub(crate) limiter: MemoryCap,
    pub(crate) console: Console,
    /// Whether the script may write to the console.
    pub(crate) console_allowed: bool,
    /// Calls refused for lack of permission, not yet collected.
    pub(crate) violations: u32,
    /// The message of the last refusal in the current call.
    pub(crate) last_denial: Option<String>,
    /// The world, attached for the duration of a call.
    ecs: Option<Box<WorldCall>>,
    /// The component names this sandbox resolved, by number.
    components: SandboxComponents,
    /// When the current call's timeout passes (host work checks it).
    pub(crate) deadline: Instant,
    /// The game clock the script's tasks wait on (set by the script runner
    /// before each tick's calls).
    pub(crate) clock: GameClock,
    /// When the script's earliest waiting task is due, and how many wait,
    /// as the guest said.
    pub(crate) wake_at: Option<f64>,
    pub(crate) tasks_waiting: u32,
}

/// A wait is over when at most this much game time is missing, so float
/// rounding in the sum of `dt` never costs a tick (the guest uses the same).
pub(crate) const TASK_TIME_EPSILON: f64 = 1e-9;

/// Game time (the sum of the ticks' `dt`, in seconds) and the tick.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct GameClock {
    pub(crate) time: f64,
    pub(crate) tick: u64,
}

impl HostState {
    pub(crate) fn new(limiter: MemoryCap, console: Console) -> Self {
        HostState {
            limiter,
            console,
            console_allowed: true,
            violations: 0,
            last_denial: None,
            ecs: None,
            components: SandboxComponents::default(),
            deadline: Instant::now(),
            clock: GameClock::default(),
            wake_at: None,
            tasks_waiting: 0,
        }
    }

    /// Attaches the world for the next calls. Components resolved against
    /// another registry are resolved again, by name, when next used.
    pub(crate) fn attach(&mut self, world: Box<WorldCall>) {
        let generation = world.registry_generation();
        if self.components.generation != generation {
            self.components.generation = generation;
            self.components.access.fill(None);
        }
        self.ecs = Some(world);
    }

    /// Detaches the world attached by [`HostState::attach`].
    pub(crate) fn detach(&mut self) -> Option<Box<WorldCall>> {
        self.ecs.take()
    }

    /// The attached world.
    pub(crate) fn world(&mut self) -> Result<&mut WorldCall, CallError> {
        self.ecs.as_deref_mut().ok_or_else(|| {
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

    /// Counts a refused call and remembers its message: if the script does
    /// not catch it, the call ends as [`ScriptError::PermissionDenied`].
    ///
    /// [`ScriptError::PermissionDenied`]: crate::ScriptError::PermissionDenied
    pub(crate) fn record_denial(&mut self, message: &str) {
        self.violations += 1;
        self.last_denial = Some(message.to_string());
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

/// The instance's memory cap, and the peak it reached.
pub(crate) struct MemoryCap {
    cap: usize,
    pub(crate) peak: usize,
    /// Whether a growth was refused: a trap after that is a memory failure.
    pub(crate) refused: bool,
}

impl MemoryCap {
    pub(crate) fn new(cap: usize) -> Self {
        MemoryCap {
            cap,
            peak: 0,
            refused: false,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.refused = true;
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // The guest never grows its tables; allow what it starts with.
        Ok(desired <= 65_536)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_number_never_given_out_is_refused() {
        let mut state = HostState::new(MemoryCap::new(1 << 20), Console::new(1024, 10));
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
