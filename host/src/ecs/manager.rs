//! Script lifecycles: the one owner of every script's source and state.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use bevy_ecs::resource::Resource;

use crate::ecs::permissions::Permissions;
use crate::sandbox::config::ScriptConfig;
use crate::sandbox::console::ConsoleMessage;
use crate::sandbox::engine::ScriptEngine;
use crate::sandbox::error::{Result, ScriptError};
use crate::sandbox::instance::ScriptInstance;
use crate::wasm::budget::CallBudget;

/// Identifies a loaded script. Scripts run in the order of their ids, which
/// is the order they were loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScriptId(u64);

/// Where a script stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptStatus {
    /// Runs every tick.
    Active,
    /// Its last call failed; it runs again next tick (a trapped instance is
    /// replaced by a fresh one first).
    Failed,
    /// Not run until [`ScriptManager::enable`].
    Disabled {
        /// Why.
        reason: String,
    },
}

/// One script: its source, its sandbox and its record.
pub(crate) struct ManagedScript {
    pub(crate) name: Arc<str>,
    source: Vec<u8>,
    config: ScriptConfig,
    pub(crate) permissions: Arc<Permissions>,
    pub(crate) instance: ScriptInstance,
    pub(crate) started: bool,
    status: ScriptStatus,
    violations: u32,
    /// The last [`MAX_KEPT_ERRORS`] errors, oldest first.
    errors: Vec<ScriptError>,
    /// Errors older than those, no longer kept.
    errors_dropped: u64,
    fuel_used: u64,
    /// Whether `fuel_used` counts everything (no call timed out this tick).
    fuel_exact: bool,
}

/// A load (or reload) that failed: why, and what the script printed before
/// it failed (its sandbox is gone; its output need not be).
#[derive(Debug)]
pub struct LoadFailure {
    /// Why the script did not load.
    pub error: ScriptError,
    /// What it printed before failing.
    pub output: Vec<ConsoleMessage>,
}

/// What closing a script's sandbox left (see
/// [`ScriptInstance::close`](crate::ScriptInstance::close)): what its `__gc`
/// finalizers printed, and the error that stopped them, if one did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ClosedScript {
    /// What the finalizers printed.
    pub output: Vec<ConsoleMessage>,
    /// A limit a finalizer ran into (the rest did not run).
    pub error: Option<ScriptError>,
}

/// Closes a script's sandbox under one call's limits, stopped at `deadline`
/// if that comes first. A `disabled` script runs no code, finalizers
/// included: its sandbox is only dropped.
fn close_instance(
    instance: &mut ScriptInstance,
    disabled: bool,
    deadline: Option<Instant>,
) -> ClosedScript {
    if disabled {
        return ClosedScript::default();
    }
    instance.limit_next_call(CallBudget::of(instance.limits()).until(deadline));
    let error = instance.close().err();
    ClosedScript {
        output: instance.take_output(),
        error,
    }
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for LoadFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<LoadFailure> for ScriptError {
    fn from(failure: LoadFailure) -> Self {
        failure.error
    }
}

/// How many of a script's errors its [`ScriptManager`] keeps: the last ones,
/// each with its message and traceback cut to
/// [`MAX_ERROR_MESSAGE_BYTES`](crate::MAX_ERROR_MESSAGE_BYTES) and
/// [`MAX_TRACEBACK_BYTES`](crate::MAX_TRACEBACK_BYTES). Older ones are
/// counted in [`ScriptManager::errors_dropped`].
pub const MAX_KEPT_ERRORS: usize = 8;

impl ManagedScript {
    /// Records a failed call or restart, or a failure of the tick's
    /// bookkeeping (events left undelivered): kept among the last
    /// [`MAX_KEPT_ERRORS`].
    pub(crate) fn record_error(&mut self, error: ScriptError) {
        self.keep_error(error);
        self.status = ScriptStatus::Failed;
    }

    /// Keeps `error` with the last [`MAX_KEPT_ERRORS`], counting the oldest
    /// out.
    fn keep_error(&mut self, error: ScriptError) {
        if self.errors.len() >= MAX_KEPT_ERRORS {
            self.errors.remove(0);
            self.errors_dropped += 1;
        }
        self.errors.push(error);
    }

    /// Records how a call went: its outcome, the permission refusals it
    /// made, and the fuel it used; the script is disabled once its refusals
    /// reach `max_violations`. Returns whether the script may go on this
    /// tick: not once it is disabled or its sandbox ended (a trap); a call
    /// that failed otherwise is recorded and the script's turn goes on.
    pub(crate) fn record_call(&mut self, outcome: Result<()>, max_violations: u32) -> bool {
        self.fuel_used += self.instance.fuel_used();
        self.fuel_exact &= self.instance.fuel_used_exact();
        match outcome {
            Ok(()) => self.status = ScriptStatus::Active,
            Err(error) => self.record_error(error),
        }
        self.violations += self.instance.take_violations();
        if self.violations >= max_violations {
            self.status = ScriptStatus::Disabled {
                reason: format!(
                    "{} permission violations (the limit is {max_violations})",
                    self.violations
                ),
            };
        }
        !self.is_disabled() && self.instance.terminated().is_none()
    }

    /// Starts a tick: the fuel figures count only this tick.
    pub(crate) fn begin_tick(&mut self) {
        self.fuel_used = 0;
        self.fuel_exact = true;
    }

    /// The entity the script is attached to, if any.
    pub(crate) fn entity(&self) -> Option<bevy_ecs::entity::Entity> {
        self.instance
            .entity()
            .and_then(bevy_ecs::entity::Entity::try_from_bits)
    }

    pub(crate) fn is_disabled(&self) -> bool {
        matches!(self.status, ScriptStatus::Disabled { .. })
    }
}

/// Owns the scripts: loads, reloads (hot reload), unloads, disables and
/// enables them, and keeps their sources. Lives in the world as a resource;
/// the [`ScriptRunner`](crate::ecs::ScriptRunner) runs what it holds.
///
/// ```
/// use luabox::{ScriptConfig, ScriptEngine};
/// use luabox::ecs::{Permissions, ScriptManager, ScriptStatus};
///
/// let mut scripts = ScriptManager::new(ScriptEngine::new(Default::default())?);
/// let id = scripts.load("hello.lua", "function on_update(dt) end", ScriptConfig::default(), Permissions::default())?;
/// // A broken new version leaves the old one in place and says why.
/// assert!(scripts.reload(id, "function on_update(").is_err());
/// assert_eq!(scripts.source(id), Some(&b"function on_update(dt) end"[..]));
/// scripts.disable(id, "maintenance");
/// assert!(matches!(scripts.status(id), Some(ScriptStatus::Disabled { .. })));
/// # Ok::<(), luabox::ScriptError>(())
/// ```
#[derive(Resource)]
pub struct ScriptManager {
    engine: ScriptEngine,
    scripts: BTreeMap<ScriptId, ManagedScript>,
    next_id: u64,
    max_violations: u32,
}

impl ScriptManager {
    /// A manager running scripts on `engine`. A script is disabled after 3
    /// permission violations (see [`ScriptManager::set_max_violations`]).
    pub fn new(engine: ScriptEngine) -> Self {
        ScriptManager {
            engine,
            scripts: BTreeMap::new(),
            next_id: 0,
            max_violations: 3,
        }
    }

    /// Disables a script once it has made `max` permission violations.
    pub fn set_max_violations(&mut self, max: u32) {
        self.max_violations = max;
    }

    /// Loads a script: a fresh sandbox, the chunk run once (defining
    /// `on_start`, `on_update`, `on_event`). The world is not reachable while
    /// loading; `on_start` runs on the next tick.
    ///
    /// # Errors
    /// Whatever the chunk ends in, with what it printed; nothing is kept
    /// then.
    pub fn load(
        &mut self,
        name: &str,
        source: impl Into<Vec<u8>>,
        config: ScriptConfig,
        permissions: Permissions,
    ) -> Result<ScriptId, LoadFailure> {
        self.load_until(name, source.into(), config, permissions, None)
    }

    /// [`ScriptManager::load`], its chunk stopped at `deadline` (a run's
    /// wall-time budget) if that comes before its timeout.
    pub(crate) fn load_until(
        &mut self,
        name: &str,
        source: Vec<u8>,
        config: ScriptConfig,
        permissions: Permissions,
        deadline: Option<Instant>,
    ) -> Result<ScriptId, LoadFailure> {
        let instance = self.start(name, &source, &config, &permissions, deadline)?;
        let id = ScriptId(self.next_id);
        self.next_id += 1;
        self.scripts.insert(
            id,
            ManagedScript {
                name: Arc::from(name),
                source,
                config,
                permissions: Arc::new(permissions),
                instance,
                started: false,
                status: ScriptStatus::Active,
                violations: 0,
                errors: Vec::new(),
                errors_dropped: 0,
                fuel_used: 0,
                fuel_exact: true,
            },
        );
        Ok(id)
    }

    /// A fresh instance that has run `source` (stopped at `deadline`, if
    /// any, when that comes first); or why not, with what the script printed
    /// before failing.
    fn start(
        &self,
        name: &str,
        source: &[u8],
        config: &ScriptConfig,
        permissions: &Permissions,
        deadline: Option<Instant>,
    ) -> Result<ScriptInstance, LoadFailure> {
        let mut instance = self
            .engine
            .instantiate(name, config)
            .map_err(|error| LoadFailure {
                error,
                output: Vec::new(),
            })?;
        instance.set_console_allowed(permissions.console);
        instance.limit_next_call(CallBudget::of(&config.limits).until(deadline));
        match instance.run(source) {
            Ok(_) => Ok(instance),
            Err(error) => Err(LoadFailure {
                error,
                output: instance.take_output(),
            }),
        }
    }

    /// Replaces a script's source (hot reload). The new version gets a fresh
    /// sandbox and `on_start` again; if it fails to load, the old version
    /// keeps running and the error says why. A disabled script stays
    /// disabled. Once the new version runs, the old sandbox is closed (its
    /// finalizers run, see [`ScriptInstance::close`](crate::ScriptInstance::close));
    /// what they printed is returned.
    ///
    /// # Errors
    /// [`ScriptError::NotFound`], or whatever the new version ends in (with
    /// what it printed).
    pub fn reload(
        &mut self,
        id: ScriptId,
        source: impl Into<Vec<u8>>,
    ) -> Result<ClosedScript, LoadFailure> {
        let source = source.into();
        let missing = |id| LoadFailure {
            error: not_found(id),
            output: Vec::new(),
        };
        let script = self.scripts.get(&id).ok_or_else(|| missing(id))?;
        let (name, config, permissions) = (
            script.name.to_string(),
            script.config.clone(),
            Arc::clone(&script.permissions),
        );
        let instance = self.start(&name, &source, &config, &permissions, None)?;
        let script = self.scripts.get_mut(&id).ok_or_else(|| missing(id))?;
        script.source = source;
        let mut old = std::mem::replace(&mut script.instance, instance);
        script.started = false;
        if script.status == ScriptStatus::Failed {
            script.status = ScriptStatus::Active;
        }
        let disabled = script.is_disabled();
        Ok(close_instance(&mut old, disabled, None))
    }

    /// Removes a script, closing its sandbox: its `__gc` finalizers run
    /// under one call's limits, with no world lent (see
    /// [`ScriptInstance::close`](crate::ScriptInstance::close)), unless the
    /// script is disabled (a disabled script runs no code). Returns what
    /// they printed.
    ///
    /// # Errors
    /// [`ScriptError::NotFound`].
    pub fn unload(&mut self, id: ScriptId) -> Result<ClosedScript> {
        let mut script = self.scripts.remove(&id).ok_or_else(|| not_found(id))?;
        let disabled = script.is_disabled();
        Ok(close_instance(&mut script.instance, disabled, None))
    }

    /// Closes a script's sandbox in place (a scene's end), keeping its
    /// record; a finalizer's error is recorded with its others. Returns what
    /// the finalizers printed.
    pub(crate) fn close_script(
        &mut self,
        id: ScriptId,
        deadline: Option<Instant>,
    ) -> Option<Vec<ConsoleMessage>> {
        let script = self.scripts.get_mut(&id)?;
        let disabled = script.is_disabled();
        let closed = close_instance(&mut script.instance, disabled, deadline);
        if let Some(error) = closed.error {
            // Kept with its others; the status stays what the run made it.
            script.keep_error(error);
        }
        Some(closed.output)
    }

    /// Stops running a script until [`ScriptManager::enable`].
    ///
    /// # Errors
    /// [`ScriptError::NotFound`] for an id not loaded.
    pub fn disable(&mut self, id: ScriptId, reason: &str) -> Result<()> {
        let script = self.scripts.get_mut(&id).ok_or_else(|| not_found(id))?;
        script.status = ScriptStatus::Disabled {
            reason: reason.to_string(),
        };
        Ok(())
    }

    /// Runs a disabled script again and forgets its violations.
    ///
    /// # Errors
    /// [`ScriptError::NotFound`] for an id not loaded.
    pub fn enable(&mut self, id: ScriptId) -> Result<()> {
        let script = self.scripts.get_mut(&id).ok_or_else(|| not_found(id))?;
        script.status = ScriptStatus::Active;
        script.violations = 0;
        Ok(())
    }

    /// The script's current source.
    pub fn source(&self, id: ScriptId) -> Option<&[u8]> {
        self.scripts.get(&id).map(|script| script.source.as_slice())
    }

    /// The script's name.
    pub fn name(&self, id: ScriptId) -> Option<&str> {
        self.scripts.get(&id).map(|script| &*script.name)
    }

    /// The script's status.
    pub fn status(&self, id: ScriptId) -> Option<&ScriptStatus> {
        self.scripts.get(&id).map(|script| &script.status)
    }

    /// The last errors the script's calls ended in (at most
    /// [`MAX_KEPT_ERRORS`]), oldest first.
    pub fn errors(&self, id: ScriptId) -> Option<&[ScriptError]> {
        self.scripts.get(&id).map(|script| script.errors.as_slice())
    }

    /// How many of the script's errors are no longer kept (older than the
    /// last [`MAX_KEPT_ERRORS`]).
    pub fn errors_dropped(&self, id: ScriptId) -> Option<u64> {
        self.scripts.get(&id).map(|script| script.errors_dropped)
    }

    /// Fuel the script used in its calls of the last tick (0 when it did not
    /// run, e.g. while disabled).
    pub fn fuel_used(&self, id: ScriptId) -> Option<u64> {
        self.scripts.get(&id).map(|script| script.fuel_used)
    }

    /// Whether [`ScriptManager::fuel_used`] counts all the fuel of the last
    /// tick: not when a call was stopped by its timeout (then it is a lower
    /// bound; see [`ScriptInstance::fuel_used_exact`]).
    pub fn fuel_used_exact(&self, id: ScriptId) -> Option<bool> {
        self.scripts.get(&id).map(|script| script.fuel_exact)
    }

    /// The largest the script's sandbox memory has been, in bytes.
    pub fn memory_peak_bytes(&self, id: ScriptId) -> Option<usize> {
        self.scripts
            .get(&id)
            .map(|script| script.instance.memory_peak_bytes())
    }

    /// Permission violations counted since the script was (re-)enabled.
    pub fn violations(&self, id: ScriptId) -> Option<u32> {
        self.scripts.get(&id).map(|script| script.violations)
    }

    /// How many of the script's tasks wait for a later tick (as its
    /// sandbox reports it).
    pub fn tasks_waiting(&self, id: ScriptId) -> Option<u32> {
        self.scripts
            .get(&id)
            .map(|script| script.instance.tasks_waiting())
    }

    /// The loaded scripts' ids, in run order.
    pub fn ids(&self) -> Vec<ScriptId> {
        self.scripts.keys().copied().collect()
    }

    pub(crate) fn max_violations(&self) -> u32 {
        self.max_violations
    }

    pub(crate) fn script_mut(&mut self, id: ScriptId) -> Option<&mut ManagedScript> {
        self.scripts.get_mut(&id)
    }

    /// Replaces a trapped instance with a fresh one of the same source, so a
    /// script that failed once runs again next tick. A disabled script is
    /// never restarted: it runs no code until it is enabled. Returns what a
    /// restart that failed printed (its error is recorded).
    ///
    /// The restarted chunk stops at `deadline` (a run's wall-time budget) if
    /// that comes first.
    ///
    /// (Restarts clone the script's source and settings: a restart follows a
    /// trap, which is rare and costs a fresh sandbox anyway.)
    pub(crate) fn restart_if_terminated(
        &mut self,
        id: ScriptId,
        deadline: Option<Instant>,
    ) -> Vec<ConsoleMessage> {
        let Some(script) = self.scripts.get(&id) else {
            return Vec::new();
        };
        if script.instance.terminated().is_none() || script.is_disabled() {
            return Vec::new();
        }
        let (name, source, config, permissions) = (
            script.name.to_string(),
            script.source.clone(),
            script.config.clone(),
            Arc::clone(&script.permissions),
        );
        let restarted = self.start(&name, &source, &config, &permissions, deadline);
        let Some(script) = self.scripts.get_mut(&id) else {
            return Vec::new();
        };
        match restarted {
            Ok(instance) => {
                script.instance = instance;
                script.started = false;
                Vec::new()
            }
            Err(failure) => {
                script.record_error(failure.error);
                failure.output
            }
        }
    }
}

fn not_found(id: ScriptId) -> ScriptError {
    ScriptError::NotFound {
        script: format!("{id:?}"),
    }
}
