//! The engine: one wasmtime engine, the guest compiled once (see
//! [`cache`](crate::wasm::cache)), the epoch ticker behind every timeout, and
//! the pool sandboxes are made from. Each script's sandbox is a
//! [`ScriptInstance`].

use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::sandbox::config::{EngineConfig, SandboxAllocation, ScriptConfig, StdLib};
use crate::sandbox::error::{Result, ScriptError};
use crate::sandbox::instance::ScriptInstance;
use crate::wasm::bindings::{self, SandboxPre};
use crate::wasm::cache::{self, GuestOrigin};
use crate::wasm::host_state::HostState;
use crate::wasm::imports;

/// The guest component, committed with the crate (`make guest` rebuilds it).
#[cfg(not(feature = "api-checks"))]
const GUEST: &[u8] = include_bytes!("../../guest/luabox_guest.wasm");
/// The guest with Lua's API checks on (feature `api-checks`: tests, fuzzing).
#[cfg(feature = "api-checks")]
const GUEST: &[u8] = include_bytes!("../../guest/luabox_guest_checked.wasm");
const GUEST_HASH: &str = env!("LUABOX_GUEST_HASH");

/// Runs Lua scripts, each in its own WebAssembly instance.
///
/// One `ScriptEngine` holds the wasmtime engine, the compiled guest (cached on
/// disk, so only the first start on a machine compiles it) and the ticker
/// thread that drives timeouts. Make one and share it: it is `Send + Sync`, and
/// clones are cheap and share everything (the ticker stops with the last one).
///
/// ```
/// use luabox::{ScriptConfig, ScriptEngine};
///
/// let engine = ScriptEngine::new(Default::default())?;
/// let mut script = engine.instantiate("hello.lua", &ScriptConfig::default())?;
/// let result = script.run("print('hello') return 1 + 1")?;
/// assert_eq!(result, serde_json::json!(2));
/// assert_eq!(script.take_output()[0].text, "hello");
/// # Ok::<(), luabox::ScriptError>(())
/// ```
#[derive(Clone)]
pub struct ScriptEngine {
    engine: Engine,
    pre: SandboxPre<HostState>,
    guest_origin: GuestOrigin,
    epoch_tick: Duration,
    metered: bool,
    /// The pool's size (none: sandboxes are allocated on demand).
    max_sandboxes: Option<u32>,
    _ticker: Arc<EpochTicker>,
}

impl ScriptEngine {
    /// Sets up wasmtime and loads the guest (from the cache, or compiling it).
    ///
    /// # Errors
    /// [`ScriptError::InvalidConfig`] for a setting out of range
    /// ([`EngineConfig::validate`]); [`ScriptError::Engine`] if wasmtime
    /// rejects the configuration or the guest cannot be compiled.
    pub fn new(config: EngineConfig) -> Result<Self> {
        config.validate()?;
        let mut wasm = wasmtime::Config::new();
        wasm.consume_fuel(config.consume_fuel)
            .epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack)
            .wasm_exceptions(true)
            .cranelift_opt_level(wasmtime::OptLevel::Speed);
        if std::env::var_os("LUABOX_PERF_MAP").is_some() {
            wasm.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let max_sandboxes = match config.allocation {
            SandboxAllocation::Pool { max_sandboxes } => {
                wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(max_sandboxes)));
                Some(max_sandboxes)
            }
            SandboxAllocation::OnDemand => None,
        };
        let engine = Engine::new(&wasm).map_err(|error| ScriptError::Engine {
            message: format!("configuring wasmtime: {error:#}"),
        })?;
        let (component, guest_origin) =
            cache::load_guest(&engine, GUEST, GUEST_HASH, &config.cache)?;
        let mut linker = Linker::new(&engine);
        imports::add_to_linker(&mut linker)
            .and_then(|()| linker.instantiate_pre(&component))
            .and_then(SandboxPre::new)
            .map(|pre| ScriptEngine {
                _ticker: Arc::new(EpochTicker::start(engine.clone(), config.epoch_tick)),
                engine,
                pre,
                guest_origin,
                epoch_tick: config.epoch_tick,
                metered: config.consume_fuel,
                max_sandboxes,
            })
            .map_err(|error| ScriptError::Engine {
                message: format!("linking the guest: {error:#}"),
            })
    }

    /// Whether the guest was compiled by this call to [`ScriptEngine::new`] or
    /// loaded from the cache.
    pub fn guest_origin(&self) -> &GuestOrigin {
        &self.guest_origin
    }

    /// Everything the guest component imports, by name (for example
    /// `luabox:sandbox/console@0.1.0`). These are all a script can reach.
    pub fn guest_imports(&self) -> Vec<String> {
        let component = self.pre.instance_pre().component();
        component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// Makes a fresh sandbox for the script `name`: a new instance with its
    /// own Lua state and the chosen libraries, nothing shared with any other.
    ///
    /// # Errors
    /// [`ScriptError::InvalidConfig`] for a limit out of range
    /// ([`Limits::validate`](crate::Limits::validate)); a resource-limit
    /// error if the sandbox cannot even start under `config.limits` (for
    /// instance a memory cap below the guest's 1.3 MiB).
    pub fn instantiate(&self, name: &str, config: &ScriptConfig) -> Result<ScriptInstance> {
        config.limits.validate()?;
        let mut instance =
            ScriptInstance::new(&self.engine, name, config, self.epoch_tick, self.metered);
        let sandbox = match instance.call_guest(|store| self.pre.instantiate(store)) {
            Ok(sandbox) => sandbox,
            // Not the script's doing: no script code has run yet.
            Err(ScriptError::SecurityViolation { message, .. }) => {
                return Err(ScriptError::Engine {
                    message: format!(
                        "starting a sandbox for {name}: {message} (at most {} sandboxes may be \
                         alive at once: EngineConfig::allocation, max_sandboxes)",
                        self.max_sandboxes.unwrap_or(0)
                    ),
                });
            }
            Err(error) => return Err(error),
        };
        let options = bindings::Options {
            libraries: guest_libraries(config.libraries),
            seed: config.seed,
            max_recursion_depth: config.limits.recursion_depth.unwrap_or(0),
            entity: config.entity,
            max_tasks: config.limits.tasks,
        };
        instance.init(sandbox, options)?;
        Ok(instance)
    }

    /// Runs `source` as the script `name` in a fresh sandbox with the default
    /// [`ScriptConfig`] and returns what the chunk returned. Output is
    /// discarded; use [`ScriptEngine::instantiate`] to read it.
    ///
    /// # Errors
    /// Any [`ScriptError`] the script ends in.
    pub fn run(&self, name: &str, source: impl AsRef<[u8]>) -> Result<serde_json::Value> {
        self.instantiate(name, &ScriptConfig::default())?
            .run(source)
    }
}

/// Core instances, tables and memories in one guest component (its main
/// module and the small adapter modules `wit-component` adds), with room to
/// spare.
const CORE_INSTANCES_PER_SANDBOX: u32 = 8;

/// Bytes of a freed sandbox's memory kept mapped for the next one (reset in
/// place instead of unmapped), which spares it most page faults.
const KEEP_RESIDENT: usize = 4 << 20;

/// A pool with slots for `sandboxes` live sandboxes.
fn pool(sandboxes: u32) -> PoolingAllocationConfig {
    let per_sandbox = |count: u32| sandboxes.saturating_mul(count);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(sandboxes)
        .total_core_instances(per_sandbox(CORE_INSTANCES_PER_SANDBOX))
        .total_tables(per_sandbox(CORE_INSTANCES_PER_SANDBOX))
        // Each store's GC heap (for Lua errors, which are wasm exceptions)
        // takes a memory slot too.
        .total_memories(per_sandbox(2))
        .total_gc_heaps(sandboxes)
        .max_core_instances_per_component(CORE_INSTANCES_PER_SANDBOX)
        .max_tables_per_component(CORE_INSTANCES_PER_SANDBOX)
        .max_memories_per_component(1)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .pagemap_scan(wasmtime::Enabled::Auto);
    pool
}

/// The WIT flags for a [`StdLib`] set.
fn guest_libraries(libraries: StdLib) -> bindings::Libraries {
    [
        (StdLib::TABLE, bindings::Libraries::TABLE),
        (StdLib::STRING, bindings::Libraries::STRING),
        (StdLib::MATH, bindings::Libraries::MATH),
        (StdLib::COROUTINE, bindings::Libraries::COROUTINE),
        (StdLib::UTF8, bindings::Libraries::UTF8),
    ]
    .into_iter()
    .filter(|(ours, _)| libraries.contains(*ours))
    .fold(bindings::Libraries::empty(), |all, (_, theirs)| {
        all | theirs
    })
}

/// The thread that advances the engine's epoch, which is what makes
/// timeouts fire; it stops when the last clone of the engine that started it
/// is dropped.
struct EpochTicker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine, tick: Duration) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                engine.increment_epoch();
            }
        });
        EpochTicker {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
