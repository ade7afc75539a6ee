//! The host state of one sandbox's store: its memory cap, its console, its
//! permissions' counters, the world lent to the current call and the call's
//! deadline.

use std::time::Instant;

use wasmtime::ResourceLimiter;

use crate::console::Console;
use crate::ecs_api::{CallError, EcsError, EcsErrorKind, EcsHost};

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
    pub(crate) ecs: Option<Box<dyn EcsHost>>,
    /// When the current call's timeout passes (host work checks it).
    pub(crate) deadline: Instant,
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
            deadline: Instant::now(),
        }
    }

    /// Runs `call` against the attached world.
    pub(crate) fn with_ecs<R>(
        &mut self,
        call: impl FnOnce(&mut dyn EcsHost) -> Result<R, CallError>,
    ) -> Result<R, CallError> {
        match self.ecs.as_deref_mut() {
            Some(host) => call(host),
            None => Err(CallError::Refused(EcsError::new(
                EcsErrorKind::Unavailable,
                "the world is not available here: scripts reach it from on_start, on_update and on_event",
            ))),
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
