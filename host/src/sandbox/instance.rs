//! One script's sandbox: a store and an instance of the guest, and every
//! call into it under a [`CallBudget`]: fuel, an epoch deadline, the
//! console's caps; a trap terminates the instance for good.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmtime::{Engine, Store, Trap};

use crate::ecs::world::WorldCall;
use crate::sandbox::config::{Limits, ScriptConfig};
use crate::sandbox::console::{Console, ConsoleMessage};
use crate::sandbox::error::{ErrorKind, Limit, Result, ScriptError, cut_error_text};
use crate::sandbox::json_text::JsonText;
use crate::wasm::bindings::{self, Sandbox};
use crate::wasm::budget::{self, CallBudget};
use crate::wasm::host_state::{GameClock, HostState, MemoryCap, TASK_TIME_EPSILON};
use crate::wasm::imports;
use crate::wasm::msgpack::{self, DecodeError, ToJsonError};
use crate::wasm::share::TickShare;

/// The number of epoch ticks that covers `timeout` (one more than the
/// quotient, since the current tick may be nearly over).
fn ticks_for(timeout: Duration, tick: Duration) -> u64 {
    let tick = tick.as_nanos().max(1);
    u64::try_from(timeout.as_nanos().div_ceil(tick))
        .unwrap_or(u64::MAX)
        .saturating_add(1)
}

/// One script's sandbox: a wasm instance with its Lua state.
///
/// Globals and other state persist between [`ScriptInstance::run`] calls.
/// After a trap (fuel, timeout, output, a wasm stack overflow, a failed
/// allocation outside Lua) the instance is terminated: it never runs guest
/// code again and every later call returns [`ScriptError::Terminated`]. A
/// Lua error (including Lua's own "not enough memory" and "stack overflow")
/// leaves it usable, as in native Lua.
pub struct ScriptInstance {
    name: String,
    store: Store<HostState>,
    sandbox: Option<Sandbox>,
    limits: Limits,
    /// How long an epoch tick of the engine is (timeouts count in ticks).
    epoch_tick: Duration,
    /// The epoch ticks of a whole call's timeout (worked out once: most
    /// calls have it).
    deadline_ticks: u64,
    /// The budget of the current (or last) call.
    budget: CallBudget,
    /// A smaller budget for the next call only (see
    /// [`ScriptInstance::limit_next_call`]).
    next_budget: Option<CallBudget>,
    terminated: Option<ErrorKind>,
    /// Whether [`ScriptInstance::close`] closed the Lua state.
    closed: bool,
    fuel_used: u64,
    /// Whether `fuel_used` counts everything (see [`ScriptInstance::fuel_used_exact`]).
    fuel_exact: bool,
    /// Whether the engine meters fuel.
    metered: bool,
    entity: Option<u64>,
}

impl ScriptInstance {
    /// A store for the script `name` under `config`'s limits, with no guest
    /// in it yet (see [`ScriptEngine::instantiate`](crate::ScriptEngine::instantiate)).
    pub(super) fn new(
        engine: &Engine,
        name: &str,
        config: &ScriptConfig,
        epoch_tick: Duration,
        metered: bool,
    ) -> Self {
        let limits = config.limits.clone();
        let state = HostState::new(
            MemoryCap::new(limits.memory),
            Console::new(limits.output_bytes, limits.output_lines),
        );
        let mut store = Store::new(engine, state);
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_trap();
        // No one crossing from the guest may carry more than any one value
        // the limits allow: wasmtime refuses it before copying.
        store.set_hostcall_fuel(budget::crossing_cap(
            limits.output_bytes,
            limits.write_bytes,
        ));
        ScriptInstance {
            name: name.to_string(),
            store,
            sandbox: None,
            epoch_tick,
            deadline_ticks: ticks_for(limits.timeout, epoch_tick),
            budget: CallBudget::of(&limits),
            next_budget: None,
            limits,
            terminated: None,
            closed: false,
            fuel_used: 0,
            fuel_exact: true,
            metered,
            entity: config.entity,
        }
    }

    /// Applies the script's options to the freshly instantiated guest and
    /// keeps it.
    pub(super) fn init(&mut self, sandbox: Sandbox, options: bindings::Options) -> Result<()> {
        let initialised =
            self.call_guest(|store| sandbox.luabox_sandbox_script().call_init(store, options))?;
        initialised.map_err(|error| from_guest(&self.name, error))?;
        self.sandbox = Some(sandbox);
        Ok(())
    }

    /// Compiles `source` (Lua text; binary chunks are refused) under this
    /// script's name, runs it, and decodes what the chunk returned into `T`,
    /// straight from the guest's MessagePack (no JSON on the way): nothing
    /// is `()` or `None`, one value is that value, several are a tuple or a
    /// `Vec`. Lua tables decode into structs, maps, `Vec`s and tuples;
    /// integers into any integer type they fit.
    ///
    /// ```
    /// use luabox::{ErrorKind, ScriptConfig, ScriptEngine};
    ///
    /// let engine = ScriptEngine::new(Default::default())?;
    /// let mut script = engine.instantiate("sum.lua", &ScriptConfig::default())?;
    /// assert_eq!(script.eval::<i64>("return 40 + 2")?, 42);
    /// assert_eq!(script.eval::<(String, bool)>("return 'a', true")?, ("a".to_string(), true));
    /// let error = script.eval::<i64>("return 'forty-two'").unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::Conversion);
    /// assert!(error.to_string().contains("expected i64, got a string"), "{error}");
    /// # Ok::<(), luabox::ScriptError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ScriptInstance::run`], and [`ScriptError::Conversion`] (the
    /// instance stays usable) when the result does not fit `T`.
    pub fn eval<T: DeserializeOwned>(&mut self, source: impl AsRef<[u8]>) -> Result<T> {
        let bytes = self.run_raw(source)?;
        self.decode_result(&bytes)
    }

    /// The chunk's results as MessagePack, as the guest sent them.
    fn run_raw(&mut self, source: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        let name = self.name.clone();
        self.call_sandbox(|sandbox, store| {
            sandbox
                .luabox_sandbox_script()
                .call_run(store, &name, source.as_ref())
        })?
        .map_err(|error| self.guest_error(error))
    }

    /// Compiles `source` (Lua text; binary chunks are refused) under this
    /// script's name and runs it. Returns the chunk's return values as a
    /// JSON value: `null` for none, the value for one, an array for several
    /// (the JSON form; [`ScriptInstance::eval`] decodes into a Rust type).
    ///
    /// # Errors
    /// [`ScriptError::Syntax`], [`ScriptError::Runtime`],
    /// [`ScriptError::ResourceLimitExceeded`],
    /// [`ScriptError::SecurityViolation`] or [`ScriptError::Terminated`].
    pub fn run(&mut self, source: impl AsRef<[u8]>) -> Result<serde_json::Value> {
        Ok(self.run_json(source)?.to_value())
    }

    /// [`ScriptInstance::run`], with the result kept as JSON text (checked,
    /// and at most [`Limits::output_bytes`]), for callers that only pass it
    /// on. Object keys come in the order Lua's `next` gives (the same for
    /// the same script and seed).
    ///
    /// # Errors
    /// As [`ScriptInstance::run`].
    pub fn run_json(&mut self, source: impl AsRef<[u8]>) -> Result<JsonText> {
        let bytes = self.run_raw(source)?;
        self.result(&bytes)
    }

    /// A call's result (MessagePack from the guest) as JSON text; it must fit
    /// the output cap and be well formed.
    fn result(&mut self, bytes: &[u8]) -> Result<JsonText> {
        let max = self.limits.output_bytes;
        if bytes.len() > max {
            return Err(self.result_too_large(bytes.len()));
        }
        match msgpack::to_json(bytes, max) {
            Ok(text) => Ok(text),
            Err(ToJsonError::TooLarge { .. }) => match msgpack::check_json(bytes) {
                Ok(()) => Err(self.result_too_large(max + 1)),
                Err(error) => Err(self.malformed(error)),
            },
            Err(error) => Err(self.malformed(error)),
        }
    }

    /// A result of `size` bytes or more, over [`Limits::output_bytes`].
    fn result_too_large(&self, size: usize) -> ScriptError {
        let max = self.limits.output_bytes;
        ScriptError::ResourceLimitExceeded {
            script: self.name.clone(),
            limit: Limit::Output,
            message: format!(
                "returned a value of {size} bytes or more; at most {max} bytes may leave a \
                 call (Limits::output_bytes)"
            ),
            line: None,
            traceback: None,
        }
    }

    /// Calls into the live sandbox (see [`ScriptInstance::call_guest`]); a
    /// terminated instance is never called.
    fn call_sandbox<R>(
        &mut self,
        f: impl FnOnce(&Sandbox, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        let Some(sandbox) = self.sandbox.take() else {
            // A budget meant for this call is not left for a later one.
            self.next_budget = None;
            return Err(self.terminated_error());
        };
        let outcome = self.call_guest(|store| f(&sandbox, store));
        if self.terminated.is_none() {
            self.sandbox = Some(sandbox);
        }
        outcome
    }

    /// Maps a Lua error; an uncaught permission refusal (the error ends with
    /// the refusal's own message, after the line and function that asked)
    /// becomes [`ScriptError::PermissionDenied`].
    fn guest_error(&self, error: bindings::ScriptError) -> ScriptError {
        match from_guest(&self.name, error) {
            ScriptError::Runtime {
                script,
                message,
                line,
                traceback,
            } if self
                .store
                .data()
                .last_denial
                .as_deref()
                .is_some_and(|denial| message.ends_with(denial)) =>
            {
                ScriptError::PermissionDenied {
                    script,
                    message,
                    line,
                    traceback,
                }
            }
            other => other,
        }
    }

    /// A malformed result from the guest ends the instance.
    fn malformed(&mut self, error: impl std::fmt::Display) -> ScriptError {
        self.terminate(ErrorKind::Security);
        ScriptError::SecurityViolation {
            script: self.name.clone(),
            message: format!("the guest returned a malformed result: {error}"),
        }
    }

    /// Calls the global function `function` with `args` and decodes what it
    /// returned into `R`, as [`ScriptInstance::eval`] does.
    ///
    /// `args` is the argument list: a tuple, array or `Vec` gives one Lua
    /// argument per element (`("world",)`, `(1, 2)`), `()` gives none, and
    /// any other value is the one argument. Structs become tables with their
    /// field names.
    ///
    /// ```
    /// use luabox::{ScriptConfig, ScriptEngine};
    ///
    /// let engine = ScriptEngine::new(Default::default())?;
    /// let mut script = engine.instantiate("greet.lua", &ScriptConfig::default())?;
    /// script.run("function greet(who, times) return ('hello ' .. who):rep(times or 1, ', ') end")?;
    /// assert_eq!(script.call::<String>("greet", ("world",))?, "hello world");
    /// assert_eq!(script.call::<String>("greet", ("you", 2))?, "hello you, hello you");
    /// # Ok::<(), luabox::ScriptError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ScriptInstance::eval`]; a [`ScriptError::Runtime`] when the
    /// script has no global function `function`; a
    /// [`ScriptError::Conversion`] when `args` do not serialise.
    pub fn call<R: DeserializeOwned>(&mut self, function: &str, args: impl Serialize) -> Result<R> {
        let arguments = self.argument_list(&args)?;
        let outcome = self.call_sandbox(|sandbox, store| {
            sandbox
                .luabox_sandbox_script()
                .call_call(store, function, &arguments)
        })?;
        match outcome.map_err(|error| self.guest_error(error))? {
            None => Err(ScriptError::Runtime {
                script: self.name.clone(),
                line: None,
                message: format!("attempt to call a nil value (global '{function}')"),
                traceback: None,
            }),
            Some(bytes) => self.decode_result(&bytes),
        }
    }

    /// `args` as the MessagePack argument list the guest reads (see
    /// [`ScriptInstance::call`]).
    fn argument_list(&self, args: &impl Serialize) -> Result<Vec<u8>> {
        let mut encoded = Vec::new();
        msgpack::encode(args, &mut encoded).map_err(|message| ScriptError::Conversion {
            script: self.name.clone(),
            expected: short_type_name(std::any::type_name_of_val(args)),
            message: format!("the arguments do not serialise: {message}"),
        })?;
        Ok(match encoded.first() {
            Some(0xc0) => vec![0x90],
            _ if msgpack::is_array(&encoded) => encoded,
            _ => [&[0x91][..], &encoded].concat(),
        })
    }

    /// A call's result (MessagePack from the guest), at most
    /// [`Limits::output_bytes`], decoded into `T`.
    fn decode_result<T: DeserializeOwned>(&mut self, bytes: &[u8]) -> Result<T> {
        let max = self.limits.output_bytes;
        if bytes.len() > max {
            return Err(self.result_too_large(bytes.len()));
        }
        match msgpack::decode_checked::<T>(bytes) {
            Ok(value) => Ok(value),
            Err(DecodeError::Malformed(error)) => Err(self.malformed(error)),
            Err(DecodeError::Mismatch { came, reason }) => {
                let expected = short_type_name(std::any::type_name::<T>());
                Err(ScriptError::Conversion {
                    script: self.name.clone(),
                    message: format!("expected {expected}, got {came}: {reason}"),
                    expected,
                })
            }
        }
    }

    /// Calls the script's `on_start()`, if it defines one.
    ///
    /// # Errors
    /// As [`ScriptInstance::run`].
    pub fn start(&mut self) -> Result<()> {
        let outcome =
            self.call_sandbox(|sandbox, store| sandbox.luabox_sandbox_script().call_start(store))?;
        outcome.map_err(|error| self.guest_error(error))
    }

    /// Calls the script's `on_update(dt)`, if it defines one: the cheapest
    /// call into a sandbox (no name or encoded arguments cross).
    ///
    /// A callback that waits (`task.wait`) resumes from
    /// [`ScriptInstance::resume_due_tasks`] (a
    /// [`ScriptRunner`](crate::ecs::ScriptRunner) calls it for its scripts).
    ///
    /// # Errors
    /// As [`ScriptInstance::run`].
    pub fn update(&mut self, dt: f64) -> Result<()> {
        let outcome = self.call_sandbox(|sandbox, store| {
            sandbox.luabox_sandbox_script().call_update(store, dt)
        })?;
        outcome.map_err(|error| self.guest_error(error))
    }

    /// Calls the script's `on_event(name, payload)` (sender nil, as for an
    /// event from the engine), if it defines one. `payload` is any
    /// serialisable value (a struct becomes a table with its field names).
    ///
    /// # Errors
    /// As [`ScriptInstance::run`]; a [`ScriptError::Conversion`] when
    /// `payload` does not serialise.
    pub fn event(&mut self, name: &str, payload: impl Serialize) -> Result<()> {
        let mut encoded = Vec::new();
        msgpack::encode(&payload, &mut encoded).map_err(|message| ScriptError::Conversion {
            script: self.name.clone(),
            expected: short_type_name(std::any::type_name_of_val(&payload)),
            message: format!("the payload does not serialise: {message}"),
        })?;
        self.event_encoded(name, &encoded, None)
    }

    /// [`ScriptInstance::event`] with the payload already MessagePack, from
    /// `sender` (an entity's bits; none for the engine).
    pub(crate) fn event_encoded(
        &mut self,
        name: &str,
        payload: &[u8],
        sender: Option<u64>,
    ) -> Result<()> {
        let outcome = self.call_sandbox(|sandbox, store| {
            sandbox
                .luabox_sandbox_script()
                .call_event(store, name, payload, sender)
        })?;
        outcome.map_err(|error| self.guest_error(error))
    }

    /// Moves the game clock the script's tasks wait on by `dt` seconds (one
    /// tick; a `dt` that is not a number does not move it) and resumes the
    /// tasks now due, for an instance driven without a
    /// [`ScriptRunner`](crate::ecs::ScriptRunner) (which does this for the
    /// scripts it runs). Due tasks resume in wake order, each as a call of
    /// its own; together they get one call's fuel and timeout, and those
    /// still due past it wait a tick. Returns the errors of the tasks that
    /// failed (the others went on); after a trap the instance is terminated
    /// and no task resumes. Call it before [`ScriptInstance::update`], as a
    /// runner does.
    ///
    /// ```
    /// use luabox::{ScriptConfig, ScriptEngine};
    ///
    /// let engine = ScriptEngine::new(Default::default())?;
    /// let mut script = engine.instantiate("door.lua", &ScriptConfig::default())?;
    /// script.run("state = 'shut' function on_start() state = 'open' task.wait(0.25) state = 'shut' end")?;
    /// script.start()?;
    /// assert_eq!(script.run("return state")?, "open");
    /// for _ in 0..2 {
    ///     assert!(script.resume_due_tasks(0.1).is_empty());
    /// }
    /// assert_eq!(script.run("return state")?, "open");
    /// script.resume_due_tasks(0.1);
    /// assert_eq!(script.run("return state")?, "shut");
    /// # Ok::<(), luabox::ScriptError>(())
    /// ```
    pub fn resume_due_tasks(&mut self, dt: f64) -> Vec<ScriptError> {
        let mut clock = self.store.data().clock;
        clock.tick += 1;
        if dt.is_finite() {
            clock.time += dt;
        }
        self.set_clock(clock);
        let mut share = TickShare::new(&self.limits);
        let mut errors = Vec::new();
        for _ in 0..self.limits.tasks {
            // No sandbox: terminated or closed.
            if self.sandbox.is_none() || !self.has_due_task(clock.time) || share.spent().is_some() {
                break;
            }
            self.limit_next_call(share.next_call());
            let outcome = self.resume_task();
            share.charge(self.fuel_used);
            match outcome {
                Ok(Some(true)) => {}
                Ok(_) => break,
                Err(error) => errors.push(error),
            }
        }
        errors
    }

    /// Resumes the script's earliest due task: `None` when none was due,
    /// else whether another one is due now.
    pub(crate) fn resume_task(&mut self) -> Result<Option<bool>> {
        let outcome =
            self.call_sandbox(|sandbox, store| sandbox.luabox_sandbox_script().call_resume(store))?;
        outcome.map_err(|error| self.guest_error(error))
    }

    /// Gives the next call into the sandbox `budget` instead of a whole
    /// call's (never more than the script's limits).
    pub(crate) fn limit_next_call(&mut self, budget: CallBudget) {
        self.next_budget = Some(budget);
    }

    /// Sets the game clock the script's tasks see.
    pub(crate) fn set_clock(&mut self, clock: GameClock) {
        self.store.data_mut().clock = clock;
    }

    /// Whether a task of the script is due at `time` (as the guest last
    /// said; a task waits at least until the next tick, which the guest
    /// checks).
    pub(crate) fn has_due_task(&self, time: f64) -> bool {
        self.store
            .data()
            .wake_at
            .is_some_and(|wake| wake <= time + TASK_TIME_EPSILON)
    }

    /// How many of the script's tasks wait (as its sandbox reports it).
    pub fn tasks_waiting(&self) -> u32 {
        self.store.data().tasks_waiting
    }

    /// Sets whether the script may write to the console (default: yes).
    pub(crate) fn set_console_allowed(&mut self, allowed: bool) {
        self.store.data_mut().console_allowed = allowed;
    }

    /// Takes the number of permission refusals since the last call to this.
    pub(crate) fn take_violations(&mut self) -> u32 {
        std::mem::take(&mut self.store.data_mut().violations)
    }

    /// Attaches the world for the next calls.
    pub(crate) fn attach(&mut self, world: Box<WorldCall>) {
        self.store.data_mut().ecs.attach(world);
    }

    /// Detaches the world attached by [`ScriptInstance::attach`].
    pub(crate) fn detach(&mut self) -> Option<Box<WorldCall>> {
        self.store.data_mut().ecs.detach()
    }

    /// The entity the script is attached to, if any.
    pub fn entity(&self) -> Option<u64> {
        self.entity
    }

    /// The script's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Console messages written so far and not yet taken.
    pub fn output(&self) -> &[ConsoleMessage] {
        self.store.data().console.messages()
    }

    /// Takes the console messages written so far.
    pub fn take_output(&mut self) -> Vec<ConsoleMessage> {
        self.store.data_mut().console.take()
    }

    /// Sends what the script writes to the console from now on to `sink`,
    /// each message as it is written (during the call), instead of keeping
    /// it for [`ScriptInstance::take_output`]: for output that should show
    /// as it happens, or that is too much to hold. The per-call caps
    /// ([`Limits::output_bytes`], [`Limits::output_lines`]) still apply.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use luabox::{ScriptConfig, ScriptEngine};
    ///
    /// let engine = ScriptEngine::new(Default::default())?;
    /// let mut script = engine.instantiate("count.lua", &ScriptConfig::default())?;
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = Arc::clone(&seen);
    /// script.stream_output(move |message| sink.lock().unwrap().push(message.text.clone()));
    /// script.run("for i = 1, 3 do print(i) end")?;
    /// assert_eq!(*seen.lock().unwrap(), ["1", "2", "3"]);
    /// assert!(script.take_output().is_empty());
    /// # Ok::<(), luabox::ScriptError>(())
    /// ```
    pub fn stream_output(&mut self, sink: impl FnMut(&ConsoleMessage) + Send + Sync + 'static) {
        self.store.data_mut().console.stream_to(sink);
    }

    /// How many console messages were dropped untaken: an instance keeps
    /// the messages of earlier calls that nobody took only up to one call's
    /// output cap, the oldest dropped first.
    pub fn output_dropped(&self) -> u64 {
        self.store.data().console.dropped()
    }

    /// Fuel the last call used (deterministic for the same script and input).
    pub fn fuel_used(&self) -> u64 {
        self.fuel_used
    }

    /// Whether [`ScriptInstance::fuel_used`] counts all the fuel the last
    /// call used. It does not when the call was stopped by its timeout:
    /// wasmtime keeps the fuel count of running code in a register and does
    /// not write it back before an epoch interrupt, so the figure is then a
    /// lower bound.
    pub fn fuel_used_exact(&self) -> bool {
        self.fuel_exact
    }

    /// The largest the instance's linear memory has been, in bytes.
    pub fn memory_peak_bytes(&self) -> usize {
        self.store.data().limiter.peak
    }

    /// The limits this instance runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Closes the sandbox as `lua_close` closes a Lua state: runs every
    /// pending `__gc` finalizer (and closes what is still to be closed),
    /// under one call's limits (fuel, timeout, output), with no world lent
    /// (an `ecs.*` call in a finalizer fails as unavailable). An error in a
    /// finalizer is a Lua warning, as in Lua; what finalizers print is in
    /// [`ScriptInstance::take_output`]. Afterwards every call returns
    /// [`ScriptError::Closed`]. Dropping an instance without closing it runs
    /// no finalizer and costs nothing. Closing a terminated or closed
    /// instance does nothing.
    ///
    /// ```
    /// use luabox::{ScriptConfig, ScriptEngine, ScriptError};
    ///
    /// let engine = ScriptEngine::new(Default::default())?;
    /// let mut script = engine.instantiate("file.lua", &ScriptConfig::default())?;
    /// script.run("handle = setmetatable({}, {__gc = function() print('flushed') end})")?;
    /// script.close()?;
    /// assert_eq!(script.take_output()[0].text, "flushed");
    /// assert!(matches!(script.run("return 1"), Err(ScriptError::Closed { .. })));
    /// # Ok::<(), ScriptError>(())
    /// ```
    ///
    /// # Errors
    /// A resource-limit error when a finalizer runs past the call's limits
    /// (the instance is terminated, the rest of its finalizers not run).
    pub fn close(&mut self) -> Result<()> {
        if self.sandbox.is_none() {
            return Ok(());
        }
        let closed =
            self.call_sandbox(|sandbox, store| sandbox.luabox_sandbox_script().call_close(store));
        if self.terminated.is_none() {
            self.closed = true;
            self.sandbox = None;
        }
        // No task waits in a closed (or terminated) sandbox.
        let state = self.store.data_mut();
        state.wake_at = None;
        state.tasks_waiting = 0;
        closed
    }

    /// Why the instance was terminated (the kind of the error that trapped
    /// it: a limit, or [`ErrorKind::Security`]), if it was.
    pub fn terminated(&self) -> Option<ErrorKind> {
        self.terminated
    }

    /// Runs one call into the guest with fresh per-call budgets. A trap
    /// terminates the instance.
    pub(super) fn call_guest<R>(
        &mut self,
        f: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        let budget = self
            .next_budget
            .take()
            .unwrap_or_else(|| CallBudget::of(&self.limits));
        if self.terminated.is_some() {
            return Err(self.terminated_error());
        }
        self.budget = budget;
        let state = self.store.data_mut();
        state.console.start_call();
        state.last_denial = None;
        state.deadline = Instant::now() + budget.timeout;
        let ticks = if budget.timeout == self.limits.timeout {
            self.deadline_ticks
        } else {
            ticks_for(budget.timeout, self.epoch_tick)
        };
        self.store.set_epoch_deadline(ticks);
        if self.metered
            && let Err(error) = self.store.set_fuel(budget.fuel)
        {
            return Err(ScriptError::Engine {
                message: format!("setting fuel: {error:#}"),
            });
        }
        let outcome = f(&mut self.store);
        if self.metered {
            let remaining = self.store.get_fuel().unwrap_or(0);
            self.fuel_used = budget.fuel.saturating_sub(remaining);
        }
        self.fuel_exact = !matches!(
            &outcome,
            Err(trap) if trap.downcast_ref::<Trap>() == Some(&Trap::Interrupt)
        );
        outcome.map_err(|trap| {
            let error = self.classify_trap(&trap);
            self.terminate(error.kind());
            error
        })
    }

    fn terminate(&mut self, cause: ErrorKind) {
        self.sandbox = None;
        self.terminated = Some(cause);
    }

    fn terminated_error(&self) -> ScriptError {
        if self.closed {
            return ScriptError::Closed {
                script: self.name.clone(),
            };
        }
        ScriptError::Terminated {
            script: self.name.clone(),
            // No guest without a trap: it never started.
            cause: self.terminated.unwrap_or(ErrorKind::Engine),
        }
    }

    /// Names the limit behind a trap.
    fn classify_trap(&self, error: &wasmtime::Error) -> ScriptError {
        let limits = &self.limits;
        let exceeded = |limit, message: String| ScriptError::ResourceLimitExceeded {
            script: self.name.clone(),
            limit,
            message,
            line: None,
            traceback: None,
        };
        if let Some((limit, message)) = imports::host_limit(error) {
            let message = match limit {
                Limit::Fuel => self.budget.fuel_message(limits),
                Limit::Timeout => self.budget.timeout_message(limits),
                _ => message.to_string(),
            };
            return exceeded(limit, message);
        }
        if is_crossing_too_large(error) {
            return exceeded(
                Limit::Output,
                format!(
                    "sent more than {} bytes to the host in one call",
                    budget::crossing_cap(limits.output_bytes, limits.write_bytes)
                ),
            );
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => exceeded(Limit::Fuel, self.budget.fuel_message(limits)),
            Some(Trap::Interrupt) => exceeded(Limit::Timeout, self.budget.timeout_message(limits)),
            Some(Trap::StackOverflow) => exceeded(Limit::Stack, "the wasm stack overflowed".into()),
            _ if self.store.data().limiter.refused => exceeded(
                Limit::Memory,
                format!("reached the memory cap of {} bytes", limits.memory),
            ),
            _ => ScriptError::SecurityViolation {
                script: self.name.clone(),
                message: format!("the sandbox trapped: {error:#}"),
            },
        }
    }
}

/// Whether wasmtime refused to copy a crossing for being larger than the
/// store's hostcall fuel. (wasmtime's error type for it is private; its
/// message is what identifies it.)
fn is_crossing_too_large(error: &wasmtime::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .to_string()
            .contains("fuel allocated for hostcalls has been exhausted")
    })
}

/// Maps an error the guest reported (Lua's own) onto [`ScriptError`], its
/// message and traceback cut to their documented sizes.
fn from_guest(script: &str, error: bindings::ScriptError) -> ScriptError {
    let script = script.to_string();
    let bindings::ScriptError {
        kind,
        message,
        line,
        traceback,
    } = error;
    let (message, traceback) = cut_error_text(message, traceback);
    match kind {
        bindings::ErrorKind::Syntax => ScriptError::Syntax {
            script,
            line,
            message,
        },
        bindings::ErrorKind::Runtime => ScriptError::Runtime {
            script,
            line,
            message,
            traceback,
        },
        bindings::ErrorKind::Memory | bindings::ErrorKind::Stack => {
            ScriptError::ResourceLimitExceeded {
                script,
                limit: if kind == bindings::ErrorKind::Memory {
                    Limit::Memory
                } else {
                    Limit::Stack
                },
                message,
                line,
                traceback,
            }
        }
    }
}

/// A Rust type's name without its module paths: `Vec<String>`, not
/// `alloc::vec::Vec<alloc::string::String>`.
fn short_type_name(name: &str) -> String {
    let mut short = String::with_capacity(name.len());
    let mut segment = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            segment.clear();
        } else if c.is_alphanumeric() || c == '_' {
            segment.push(c);
        } else {
            short.push_str(&segment);
            segment.clear();
            short.push(c);
        }
    }
    short.push_str(&segment);
    short
}
