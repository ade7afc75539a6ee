//! The host state of one sandbox's store: its memory cap, its console, its
//! permissions' counters, the call's deadline, the game clock, and the ECS
//! side ([`SandboxWorld`]: the world lent to the current call and the
//! components resolved).

use std::time::Instant;

use wasmtime::ResourceLimiter;

use crate::ecs::host_calls::SandboxWorld;
use crate::sandbox::console::Console;

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
    /// The ECS side: the world lent to the current call, the components
    /// resolved.
    pub(crate) ecs: SandboxWorld,
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
            ecs: SandboxWorld::default(),
            deadline: Instant::now(),
            clock: GameClock::default(),
            wake_at: None,
            tasks_waiting: 0,
        }
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
