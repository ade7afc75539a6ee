//! Limits and policy: what a script may use and how much of it.

use std::ops::{BitOr, BitOrAssign};
use std::path::PathBuf;
use std::time::Duration;

use crate::sandbox::error::ScriptError;

/// Resource limits for one script. Fuel, time and output are per call; the
/// memory cap holds for the instance's whole life. Sizes are in bytes,
/// times are [`Duration`]s.
///
/// Built with `with_*` methods from [`Limits::default`] (each field's doc
/// names its default); the fields can be read as they are. The library
/// checks them once, when a sandbox is made ([`Limits::validate`]): a zero
/// fuel, timeout or memory cap is refused with [`ScriptError::InvalidConfig`].
///
/// ```
/// use std::time::Duration;
/// use luabox::Limits;
///
/// let limits = Limits::default()
///     .with_memory(16 << 20)
///     .with_timeout(Duration::from_millis(50))
///     .with_recursion_depth(200);
/// assert_eq!(limits.memory, 16 << 20);
/// assert_eq!(limits.timeout, Duration::from_millis(50));
/// assert_eq!(limits.recursion_depth, Some(200));
/// assert!(Limits::default().with_fuel(0).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Instruction budget per call, in wasmtime fuel units (roughly one per
    /// wasm instruction; 10^9 is about 120 ms of Lua on a 2020s core, so the
    /// default runs out a little before the default timeout).
    /// Deterministic: the same script uses the same fuel on every run.
    /// At least 1. Default: 5,000,000,000.
    pub fuel: u64,
    /// Wall-clock budget per call, enforced by epoch interruption.
    /// More than zero, at most [`MAX_TIMEOUT`]. Default: 1 s.
    pub timeout: Duration,
    /// Linear memory cap of the instance, in bytes. The guest needs about
    /// 1.3 MiB before the script allocates anything (a smaller cap fails
    /// when the sandbox starts, with kind `memory`). More than zero.
    /// Default: 64 MiB.
    pub memory: usize,
    /// Deepest nesting of calls (Lua and C functions) a script may reach.
    /// `None` keeps Lua's own limits: 50,000 stack slots (about 10,000
    /// Lua frames) and 200 nested C calls (`pcall`, metamethods, `gsub`
    /// callbacks). Setting it installs a call hook, which costs time on every
    /// call. At least 1 when set. Default: `None`.
    pub recursion_depth: Option<u32>,
    /// What one call may hand to the host, in bytes: its console output
    /// (all messages together), and separately its result. Passing it ends
    /// the call with kind `output`. Default: 1 MiB.
    pub output_bytes: usize,
    /// Console output per call, in lines: each message counts one line plus
    /// one per newline in it. Default: 10,000.
    pub output_lines: usize,
    /// World writes one call may buffer on the host, in bytes: the values
    /// and component names, and 256 bytes of bookkeeping per write. Past it,
    /// the write is refused (`too-many-writes`). Default: 16 MiB.
    pub write_bytes: usize,
    /// Tasks alive at once (`task.spawn`, `task.delay`, and callbacks
    /// waiting in `task.wait`); one more is refused with an error the script
    /// can catch. Each waiting task costs the script about 1 KiB of its
    /// memory, none of the host's. Default: 1,000.
    pub tasks: u32,
}

/// The longest [`Limits::timeout`] (a day): longer ones are refused, since
/// a deadline past the clock's range cannot be set.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 5_000_000_000,
            timeout: Duration::from_secs(1),
            memory: 64 << 20,
            recursion_depth: None,
            output_bytes: 1 << 20,
            output_lines: 10_000,
            write_bytes: 16 << 20,
            tasks: 1_000,
        }
    }
}

impl Limits {
    /// Sets [`Limits::fuel`], the per-call instruction budget.
    pub fn with_fuel(mut self, fuel: u64) -> Self {
        self.fuel = fuel;
        self
    }

    /// Sets [`Limits::timeout`], the per-call wall-clock budget.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`Limits::memory`], the instance's memory cap in bytes.
    pub fn with_memory(mut self, bytes: usize) -> Self {
        self.memory = bytes;
        self
    }

    /// Sets [`Limits::recursion_depth`], the deepest call nesting.
    pub fn with_recursion_depth(mut self, depth: u32) -> Self {
        self.recursion_depth = Some(depth);
        self
    }

    /// Sets [`Limits::output_bytes`], what one call may hand to the host.
    pub fn with_output_bytes(mut self, bytes: usize) -> Self {
        self.output_bytes = bytes;
        self
    }

    /// Sets [`Limits::output_lines`], console lines per call.
    pub fn with_output_lines(mut self, lines: usize) -> Self {
        self.output_lines = lines;
        self
    }

    /// Sets [`Limits::write_bytes`], the world writes one call may buffer.
    pub fn with_write_bytes(mut self, bytes: usize) -> Self {
        self.write_bytes = bytes;
        self
    }

    /// Sets [`Limits::tasks`], the tasks alive at once.
    pub fn with_tasks(mut self, tasks: u32) -> Self {
        self.tasks = tasks;
        self
    }

    /// Checks every limit against its documented range (the library does it
    /// when a sandbox is made; the command line and the preview call it on
    /// what they were given).
    ///
    /// # Errors
    /// [`ScriptError::InvalidConfig`] naming the first limit out of range.
    pub fn validate(&self) -> Result<(), ScriptError> {
        let refuse = |field, message: &str| {
            Err(ScriptError::InvalidConfig {
                field,
                message: message.to_string(),
            })
        };
        if self.fuel == 0 {
            return refuse("Limits::fuel", "must be at least 1");
        }
        if self.timeout.is_zero() {
            return refuse("Limits::timeout", "must be more than zero");
        }
        if self.timeout > MAX_TIMEOUT {
            return refuse(
                "Limits::timeout",
                &format!("must be at most {} s", MAX_TIMEOUT.as_secs()),
            );
        }
        if self.memory == 0 {
            return refuse("Limits::memory", "must be more than zero bytes");
        }
        if self.recursion_depth == Some(0) {
            return refuse("Limits::recursion_depth", "must be at least 1 when set");
        }
        Ok(())
    }
}

/// The optional Lua standard libraries a script gets, as in mlua's `StdLib`.
///
/// Base (without `dofile`/`loadfile`, with a text-only `load`) and
/// `debug.traceback` are always there. `os`, `io`, `package`/`require` and the
/// rest of `debug` are not in the guest at all, so no flag can ask for them.
///
/// ```
/// use luabox::StdLib;
///
/// let libs = StdLib::TABLE | StdLib::STRING;
/// assert!(libs.contains(StdLib::STRING));
/// assert!(!libs.contains(StdLib::MATH));
/// assert_eq!(StdLib::default(), StdLib::ALL_SAFE);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StdLib(u8);

impl StdLib {
    /// No optional library.
    pub const NONE: StdLib = StdLib(0);
    /// `table`.
    pub const TABLE: StdLib = StdLib(1 << 0);
    /// `string` (without `string.dump`).
    pub const STRING: StdLib = StdLib(1 << 1);
    /// `math` (`math.random` seeded by the host).
    pub const MATH: StdLib = StdLib(1 << 2);
    /// `coroutine`.
    pub const COROUTINE: StdLib = StdLib(1 << 3);
    /// `utf8`.
    pub const UTF8: StdLib = StdLib(1 << 4);
    /// Every library the guest has. The default.
    pub const ALL_SAFE: StdLib = StdLib(0b1_1111);

    /// Whether every library in `other` is in `self`.
    pub fn contains(self, other: StdLib) -> bool {
        self.0 & other.0 == other.0
    }
}

impl Default for StdLib {
    fn default() -> Self {
        StdLib::ALL_SAFE
    }
}

impl BitOr for StdLib {
    type Output = StdLib;
    fn bitor(self, other: StdLib) -> StdLib {
        StdLib(self.0 | other.0)
    }
}

impl BitOrAssign for StdLib {
    fn bitor_assign(&mut self, other: StdLib) {
        self.0 |= other.0;
    }
}

/// Everything that shapes one script's sandbox, built with `with_*` methods
/// from [`ScriptConfig::default`].
///
/// ```
/// use luabox::{Limits, ScriptConfig, StdLib};
///
/// let config = ScriptConfig::default()
///     .with_limits(Limits::default().with_fuel(1_000_000))
///     .with_libraries(StdLib::TABLE | StdLib::STRING)
///     .with_seed(7);
/// assert_eq!(config.seed, 7);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ScriptConfig {
    /// Resource limits. Default: [`Limits::default`].
    pub limits: Limits,
    /// Optional libraries. Default: [`StdLib::ALL_SAFE`].
    pub libraries: StdLib,
    /// Seed of `math.random` (string hashing has a fixed seed), so runs are
    /// reproducible. Default: 0.
    pub seed: u64,
    /// The entity the script is attached to (`Entity::to_bits`), its global
    /// `entity`: set by [`ScriptRunner::attach`](crate::ecs::ScriptRunner::attach)
    /// only, never by a caller (a sandbox outside a world has none).
    pub(crate) entity: Option<u64>,
}

impl ScriptConfig {
    /// Sets [`ScriptConfig::limits`].
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`ScriptConfig::libraries`].
    pub fn with_libraries(mut self, libraries: StdLib) -> Self {
        self.libraries = libraries;
        self
    }

    /// Sets [`ScriptConfig::seed`].
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Where the compiled guest is cached.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum CacheDir {
    /// `$LUABOX_CACHE_DIR`, else `$XDG_CACHE_HOME/luabox`, else
    /// `$HOME/.cache/luabox`. The default.
    #[default]
    Default,
    /// This directory. It must be writable by this user only: the cached
    /// machine code is trusted when loaded.
    At(PathBuf),
    /// No cache: compile the guest on every start (about half a second).
    Disabled,
}

/// How an engine makes its sandboxes' memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SandboxAllocation {
    /// Slots (memory, tables, instance metadata) for at most `max_sandboxes`
    /// live sandboxes, reserved up front, which makes starting a sandbox
    /// cheap; past this many, `instantiate` fails with a clear error.
    /// Reserving costs address space, not memory (about 4 GiB of it per slot
    /// on 64-bit hosts). At least 1. The default, with 1,000.
    Pool {
        /// How many sandboxes may be alive at once.
        max_sandboxes: u32,
    },
    /// Each sandbox allocated when it starts: unbounded in number, slower to
    /// start.
    OnDemand,
}

/// Settings of a [`ScriptEngine`](crate::ScriptEngine), shared by all its
/// scripts, built with `with_*` methods from [`EngineConfig::default`] and
/// checked by [`ScriptEngine::new`](crate::ScriptEngine::new).
///
/// ```
/// use luabox::{CacheDir, EngineConfig, SandboxAllocation};
///
/// let config = EngineConfig::default()
///     .with_cache(CacheDir::Disabled)
///     .with_allocation(SandboxAllocation::Pool { max_sandboxes: 64 });
/// assert!(config.validate().is_ok());
/// assert!(config.with_allocation(SandboxAllocation::Pool { max_sandboxes: 0 }).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineConfig {
    /// Where the compiled guest is cached. Default: [`CacheDir::Default`].
    pub cache: CacheDir,
    /// Size of the wasm stack a call may use, in bytes. Lua's own C-call
    /// limit (200) usually stops deep C recursion first; past this, the call
    /// traps with kind `stack`. More than zero. Default: 1 MiB.
    pub max_wasm_stack: usize,
    /// How often the engine's ticker advances the epoch, which is the
    /// resolution of [`Limits::timeout`]. More than zero. Default: 1 ms.
    pub epoch_tick: Duration,
    /// Whether calls are metered with fuel ([`Limits::fuel`]). Turning it off
    /// makes compute-heavy scripts a little faster, leaves only the timeout
    /// to stop a runaway loop, and makes `fuel_used` always 0. Default: on.
    pub consume_fuel: bool,
    /// How sandboxes are allocated. Default: a pool of 1,000
    /// ([`SandboxAllocation::Pool`]).
    pub allocation: SandboxAllocation,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            cache: CacheDir::Default,
            max_wasm_stack: 1 << 20,
            epoch_tick: Duration::from_millis(1),
            consume_fuel: true,
            allocation: SandboxAllocation::Pool {
                max_sandboxes: 1_000,
            },
        }
    }
}

impl EngineConfig {
    /// Sets [`EngineConfig::cache`].
    pub fn with_cache(mut self, cache: CacheDir) -> Self {
        self.cache = cache;
        self
    }

    /// Sets [`EngineConfig::max_wasm_stack`], in bytes.
    pub fn with_max_wasm_stack(mut self, bytes: usize) -> Self {
        self.max_wasm_stack = bytes;
        self
    }

    /// Sets [`EngineConfig::epoch_tick`].
    pub fn with_epoch_tick(mut self, tick: Duration) -> Self {
        self.epoch_tick = tick;
        self
    }

    /// Sets [`EngineConfig::consume_fuel`].
    pub fn with_consume_fuel(mut self, consume_fuel: bool) -> Self {
        self.consume_fuel = consume_fuel;
        self
    }

    /// Sets [`EngineConfig::allocation`].
    pub fn with_allocation(mut self, allocation: SandboxAllocation) -> Self {
        self.allocation = allocation;
        self
    }

    /// Checks every setting against its documented range
    /// ([`ScriptEngine::new`](crate::ScriptEngine::new) does it).
    ///
    /// # Errors
    /// [`ScriptError::InvalidConfig`] naming the first setting out of range.
    pub fn validate(&self) -> Result<(), ScriptError> {
        let refuse = |field, message: String| Err(ScriptError::InvalidConfig { field, message });
        if self.max_wasm_stack == 0 {
            return refuse(
                "EngineConfig::max_wasm_stack",
                "must be more than zero bytes".into(),
            );
        }
        if self.epoch_tick.is_zero() {
            return refuse("EngineConfig::epoch_tick", "must be more than zero".into());
        }
        if self.allocation == (SandboxAllocation::Pool { max_sandboxes: 0 }) {
            return refuse(
                "EngineConfig::allocation",
                "a pool needs room for at least 1 sandbox (SandboxAllocation::OnDemand has no pool)"
                    .into(),
            );
        }
        Ok(())
    }
}
