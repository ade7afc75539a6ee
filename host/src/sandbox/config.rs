//! Limits and policy: what a script may use and how much of it.

use std::ops::{BitOr, BitOrAssign};
use std::path::PathBuf;
use std::time::Duration;

/// Resource limits for one script. Fuel, time and output are per call; the
/// memory cap holds for the instance's whole life.
///
/// Engines that think in `max_memory_mb`, `max_execution_time_ms` and
/// `max_recursion_depth` have builder methods of those names.
///
/// ```
/// use luabox::Limits;
///
/// let limits = Limits::default()
///     .max_memory_mb(16)
///     .max_execution_time_ms(50)
///     .max_recursion_depth(200);
/// assert_eq!(limits.memory, 16 << 20);
/// assert_eq!(limits.timeout.as_millis(), 50);
/// assert_eq!(limits.recursion_depth, Some(200));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Instruction budget per call, in wasmtime fuel units (roughly one per
    /// wasm instruction; 10^9 is about 120 ms of Lua on a 2020s core, so the
    /// default runs out a little before the default timeout).
    /// Deterministic: the same script uses the same fuel on every run.
    /// Default: 5,000,000,000.
    pub fuel: u64,
    /// Wall-clock budget per call, enforced by epoch interruption.
    /// Default: 1 s.
    pub timeout: Duration,
    /// Linear memory cap of the instance, in bytes. The guest needs about
    /// 1.3 MiB before the script allocates anything. Default: 64 MiB.
    pub memory: usize,
    /// Deepest nesting of calls (Lua and C functions) a script may reach.
    /// `None` keeps Lua's own limits: 50,000 stack slots (about 10,000
    /// Lua frames) and 200 nested C calls (`pcall`, metamethods, `gsub`
    /// callbacks). Setting it installs a call hook, which costs time on every
    /// call. Default: `None`.
    pub recursion_depth: Option<u32>,
    /// What one call may hand to the host, in bytes: its console output
    /// (all messages together), and separately its result as JSON. Passing
    /// it ends the call with kind `output`. Default: 1 MiB.
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
    /// Sets the memory cap in MiB.
    pub fn max_memory_mb(mut self, mb: usize) -> Self {
        self.memory = mb.saturating_mul(1 << 20);
        self
    }

    /// Sets the per-call wall-clock budget in milliseconds.
    pub fn max_execution_time_ms(mut self, ms: u64) -> Self {
        self.timeout = Duration::from_millis(ms);
        self
    }

    /// Sets the deepest call nesting (see [`Limits::recursion_depth`]).
    pub fn max_recursion_depth(mut self, depth: u32) -> Self {
        self.recursion_depth = Some(depth);
        self
    }

    /// Sets the per-call fuel budget.
    pub fn with_fuel(mut self, fuel: u64) -> Self {
        self.fuel = fuel;
        self
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

/// Everything that shapes one script's sandbox.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ScriptConfig {
    /// Resource limits. Default: [`Limits::default`].
    pub limits: Limits,
    /// Optional libraries. Default: [`StdLib::ALL_SAFE`].
    pub libraries: StdLib,
    /// Seed of `math.random` (string hashing has a fixed seed), so runs are
    /// reproducible. Default: 0.
    pub seed: u64,
    /// The entity the script is attached to (`Entity::to_bits`), visible to
    /// it as the global `entity`. Default: none.
    pub entity: Option<u64>,
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

/// Settings of a [`ScriptEngine`](crate::ScriptEngine), shared by all its
/// scripts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Where the compiled guest is cached. Default: [`CacheDir::Default`].
    pub cache: CacheDir,
    /// Size of the wasm stack a call may use, in bytes. Lua's own C-call
    /// limit (200) usually stops deep C recursion first; past this, the call
    /// traps with kind `stack`. Default: 1 MiB.
    pub max_wasm_stack: usize,
    /// How often the engine's ticker advances the epoch, which is the
    /// resolution of [`Limits::timeout`]. Default: 1 ms.
    pub epoch_tick: std::time::Duration,
    /// Whether calls are metered with fuel ([`Limits::fuel`]). Turning it off
    /// makes compute-heavy scripts a little faster, leaves only the timeout
    /// to stop a runaway loop, and makes `fuel_used` always 0. Default: on.
    pub consume_fuel: bool,
    /// How many sandboxes may be alive at once. Their slots (memory, tables,
    /// instance metadata) are reserved up front in a pool, which makes
    /// starting a sandbox cheap; past this many, `instantiate` fails with a
    /// clear error. Reserving costs address space, not memory (about 4 GiB of
    /// it per slot on 64-bit hosts). 0 turns the pool off: sandboxes are then
    /// allocated on demand, unbounded in number and slower to start.
    /// Default: 1,000.
    pub max_sandboxes: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            cache: CacheDir::Default,
            max_wasm_stack: 1 << 20,
            epoch_tick: std::time::Duration::from_millis(1),
            consume_fuel: true,
            max_sandboxes: 1_000,
        }
    }
}
