//! The only code that touches the bevy `World` on the scripts' behalf: runs
//! each script's `on_start`, `on_event` and `on_update` once per tick, in
//! load order, each call as a transaction.

use std::sync::Arc;
use std::time::Instant;

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use bevy_ecs::world::World;
use serde_json::Value;

use crate::ecs::events::{self, Delivery, EmittedEvents, PendingDeliveries};
use crate::ecs::log::ScriptConsole;
use crate::ecs::manager::{ManagedScript, ScriptId, ScriptManager};
use crate::ecs::permissions::Permissions;
use crate::ecs::registry::ComponentRegistry;
use crate::ecs::visibility::Visibility;
use crate::ecs::world::WorldCall;
use crate::sandbox::config::ScriptConfig;
use crate::sandbox::console::ConsoleMessage;
use crate::sandbox::error::{Limit, Result, ScriptError};
use crate::sandbox::instance::ScriptInstance;
use crate::wasm::budget::CallBudget;
use crate::wasm::host_state::GameClock;
use crate::wasm::msgpack;
use crate::wasm::share::TickShare;

/// Marks an entity driven by a script.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Script(pub ScriptId);

/// The tick counter and game time, which `task.wait` waits on.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq)]
pub struct ScriptClock {
    /// The number of ticks run (starts at 0; the first tick is 1).
    pub tick: u64,
    /// Game time in seconds: the sum of every tick's `dt` (a `dt` that is
    /// not finite counts 0).
    pub time: f64,
}

/// The time step [`run_scripts`] passes to `on_update`, in seconds.
/// Default (when absent): 1/60.
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct ScriptDelta(pub f64);

/// The engine's events for the scripts' `on_event(name, payload, sender)`
/// (sender nil), delivered (and cleared) on the next tick, before
/// `on_update`, to every script whose [`Permissions::receive`] holds the
/// name; before the events scripts emitted in the tick before.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct ScriptEvents(pub Vec<(String, Value)>);

/// Runs scripts against a bevy `World`.
///
/// ```
/// use bevy_ecs::prelude::*;
/// use luabox::{ScriptConfig, ScriptEngine};
/// use luabox::ecs::{ComponentRegistry, Permissions, ScriptManager, ScriptRunner};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Component, Serialize, Deserialize)]
/// struct Position { x: f64, y: f64 }
///
/// let mut world = World::new();
/// let mut registry = ComponentRegistry::default();
/// registry.register::<Position>("Position");
/// world.insert_resource(registry);
/// world.insert_resource(ScriptManager::new(ScriptEngine::new(Default::default())?));
///
/// let player = world.spawn(Position { x: 0.0, y: 0.0 }).id();
/// let mover = "function on_update(dt)
///     local p = ecs.get(entity, 'Position')
///     ecs.insert(entity, 'Position', {x = p.x + 1, y = p.y})
/// end";
/// let permissions = Permissions::default().read(["Position"]).write(["Position"]);
/// ScriptRunner::attach(&mut world, player, "mover.lua", mover, ScriptConfig::default(), permissions)?;
/// ScriptRunner::tick(&mut world, 1.0 / 60.0);
/// ScriptRunner::tick(&mut world, 1.0 / 60.0);
/// assert_eq!(world.get::<Position>(player).unwrap().x, 2.0);
/// # Ok::<(), luabox::ScriptError>(())
/// ```
pub struct ScriptRunner;

impl ScriptRunner {
    /// Loads a script for `entity` (its global `entity`) and marks the entity
    /// with [`Script`].
    ///
    /// # Errors
    /// Whatever loading the script ends in; [`ScriptError::NoSuchEntity`]
    /// when `entity` does not exist (nothing is loaded); or
    /// [`ScriptError::NotFound`] when the world has no [`ScriptManager`]
    /// resource.
    ///
    /// [`ScriptError::NotFound`]: crate::ScriptError::NotFound
    /// [`ScriptError::NoSuchEntity`]: crate::ScriptError::NoSuchEntity
    pub fn attach(
        world: &mut World,
        entity: Entity,
        name: &str,
        source: impl Into<Vec<u8>>,
        config: ScriptConfig,
        permissions: Permissions,
    ) -> Result<ScriptId> {
        Self::attach_until(
            world,
            entity,
            name,
            source.into(),
            config,
            permissions,
            None,
        )
    }

    /// [`ScriptRunner::attach`], the script's chunk stopped at `deadline` (a
    /// run's wall-time budget) if that comes before its timeout.
    pub(crate) fn attach_until(
        world: &mut World,
        entity: Entity,
        name: &str,
        source: Vec<u8>,
        config: ScriptConfig,
        permissions: Permissions,
        deadline: Option<Instant>,
    ) -> Result<ScriptId> {
        let config = ScriptConfig {
            entity: Some(entity.to_bits()),
            ..config
        };
        if world.get_entity(entity).is_err() {
            return Err(crate::ScriptError::NoSuchEntity {
                script: name.to_string(),
                entity: entity.to_bits(),
            });
        }
        let mut manager = world.get_resource_mut::<ScriptManager>().ok_or_else(|| {
            crate::ScriptError::NotFound {
                script: "ScriptManager resource".into(),
            }
        })?;
        let loaded = manager.load_until(name, source, config, permissions, deadline);
        let tick = world
            .get_resource::<ScriptClock>()
            .map_or(0, |clock| clock.tick);
        let id = match loaded {
            Ok(id) => id,
            Err(failure) => {
                // What the script printed before it failed to load still counts.
                world
                    .get_resource_or_insert_with(ScriptConsole::default)
                    .push_messages(name, Some(entity), failure.output, tick);
                return Err(failure.error);
            }
        };
        if let Ok(mut target) = world.get_entity_mut(entity) {
            target.insert(Script(id));
        }
        Ok(id)
    }

    /// [`ScriptRunner::attach`] from a system, through `Commands`: the
    /// script loads when the commands apply. A script that fails to load is
    /// not attached; its error goes to the [`ScriptConsole`] (level error,
    /// with the script's name and entity), after what it printed.
    ///
    /// ```
    /// use bevy_ecs::prelude::*;
    /// use luabox::ScriptEngine;
    /// use luabox::ecs::{Permissions, Script, ScriptManager, ScriptRunner};
    ///
    /// fn spawn_greeter(mut commands: Commands) {
    ///     let entity = commands.spawn_empty().id();
    ///     commands.queue(ScriptRunner::attach_command(
    ///         entity,
    ///         "greeter.lua",
    ///         "function on_update() print('hi') end",
    ///         Default::default(),
    ///         Permissions::default(),
    ///     ));
    /// }
    ///
    /// let mut world = World::new();
    /// world.insert_resource(ScriptManager::new(ScriptEngine::new(Default::default())?));
    /// world.run_system_cached(spawn_greeter).unwrap();
    /// let mut scripts = world.query::<&Script>();
    /// assert_eq!(scripts.iter(&world).count(), 1);
    /// # Ok::<(), luabox::ScriptError>(())
    /// ```
    pub fn attach_command(
        entity: Entity,
        name: impl Into<String>,
        source: impl Into<Vec<u8>>,
        config: ScriptConfig,
        permissions: Permissions,
    ) -> impl bevy_ecs::system::Command<Out = ()> {
        let (name, source) = (name.into(), source.into());
        move |world: &mut World| {
            let attached = Self::attach(world, entity, &name, source, config, permissions);
            if let Err(error) = attached {
                let tick = world
                    .get_resource::<ScriptClock>()
                    .map_or(0, |clock| clock.tick);
                let failure = ConsoleMessage {
                    level: crate::ConsoleLevel::Error,
                    text: format!("{name} did not load: {error}"),
                };
                world
                    .get_resource_or_insert_with(ScriptConsole::default)
                    .push_messages(&name, Some(entity), [failure], tick);
            }
        }
    }

    /// Runs one tick: for every script not disabled, `on_start` (first tick
    /// after loading), `on_event` for each pending event, then
    /// `on_update(dt)`. Each call's writes apply only if it returns normally;
    /// a failed call changes nothing and the other scripts still run.
    pub fn tick(world: &mut World, dt: f64) {
        Self::tick_until(world, dt, None);
    }

    /// [`ScriptRunner::tick`], stopping between two scripts once `deadline`
    /// has passed. Returns whether every script had its turn.
    pub(crate) fn tick_until(world: &mut World, dt: f64, deadline: Option<Instant>) -> bool {
        let Some(mut manager) = world.remove_resource::<ScriptManager>() else {
            return true;
        };
        let registry = world
            .get_resource::<ComponentRegistry>()
            .cloned()
            .unwrap_or_default();
        let clock = {
            let mut clock = world.get_resource_or_insert_with(ScriptClock::default);
            clock.tick += 1;
            // A dt that is not a number of seconds does not move game time.
            if dt.is_finite() {
                clock.time += dt;
            }
            GameClock {
                time: clock.time,
                tick: clock.tick,
            }
        };
        // The engine's events first, then those scripts emitted last tick;
        // encoded once, for every script.
        let engine_events = world
            .get_resource_mut::<ScriptEvents>()
            .map(|mut events| std::mem::take(&mut events.0))
            .unwrap_or_default()
            .into_iter()
            .map(|(name, payload)| {
                let mut encoded = Vec::new();
                // A JSON value always encodes.
                let _ = msgpack::encode(&payload, &mut encoded);
                Delivery {
                    name,
                    payload: encoded,
                    sender: None,
                }
            });
        let script_events = world
            .remove_resource::<PendingDeliveries>()
            .unwrap_or_default()
            .0;
        let events: Vec<Delivery> = engine_events.chain(script_events).collect();
        world.get_resource_or_insert_with(ScriptConsole::default);
        world.get_resource_or_insert_with(EmittedEvents::default);
        let visibility = Visibility::of(world, &registry);
        // The world is lent to the scripts' calls for the whole tick, in one
        // `WorldCall` that each call borrows in turn (an empty world stands
        // in meanwhile).
        let lent = Box::new(WorldCall::new(std::mem::take(world), registry, visibility));
        let input = TickInput {
            events: &events,
            dt,
            clock,
            deadline,
        };
        let (finished, mut lent) = run_scripts_once(&mut manager, lent, &input);
        let emitted = lent.take_events();
        *world = lent.into_world();
        events::file(world, emitted);
        world.insert_resource(manager);
        finished
    }
}

/// What one tick hands every script.
struct TickInput<'a> {
    /// The events to deliver (payloads MessagePack).
    events: &'a [Delivery],
    dt: f64,
    clock: GameClock,
    deadline: Option<Instant>,
}

/// Runs every script's callbacks and due tasks for one tick against the
/// lent world. Returns whether every script had its turn before the
/// deadline.
fn run_scripts_once(
    manager: &mut ScriptManager,
    mut lent: Box<WorldCall>,
    input: &TickInput<'_>,
) -> (bool, Box<WorldCall>) {
    let tick = input.clock.tick;
    for id in manager.ids() {
        if input
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            return (false, lent);
        }
        let max_violations = manager.max_violations();
        let Some(script) = manager.script_mut(id) else {
            continue;
        };
        script.begin_tick();
        if script.is_disabled() {
            continue;
        }
        if script.instance.terminated().is_some() {
            let failed_restart_output = manager.restart_if_terminated(id, input.deadline);
            let Some(script) = manager.script_mut(id) else {
                continue;
            };
            log_messages(lent.world_mut(), script, failed_restart_output, tick);
        }
        let Some(script) = manager.script_mut(id) else {
            continue;
        };
        if script.is_disabled() || script.instance.terminated().is_some() {
            continue;
        }
        script.instance.set_clock(input.clock);
        lent.begin_script();
        lent = run_script(script, lent, input, max_violations);
    }
    (true, lent)
}

/// One script's turn in a tick: `on_start` (once per sandbox: a failed one
/// is reported, not retried), `on_event` for each event it receives, its
/// due tasks, then `on_update`. A failed callback or task is recorded and
/// the turn goes on; a trap (the sandbox ended) or the script's disabling
/// ends it.
///
/// The event and task calls share one call's fuel and timeout (see
/// [`TickShare`]): each runs with what is left of it, and past it the
/// script's remaining events this tick are not delivered (one error says
/// how many) and its due tasks wait a tick, so no flood of events or tasks
/// multiplies a script's per-call limits. `on_start` and `on_update` keep a
/// call's limits each. With a deadline (a run's wall-time budget), no call
/// runs past it.
fn run_script(
    script: &mut ManagedScript,
    mut lent: Box<WorldCall>,
    input: &TickInput<'_>,
    max_violations: u32,
) -> Box<WorldCall> {
    let tick = input.clock.tick;
    // A whole call's budget, within the run's deadline if there is one.
    let whole_call =
        |script: &ManagedScript| CallBudget::of(script.instance.limits()).until(input.deadline);
    if !script.started {
        script.started = true;
        let outcome;
        let budget = whole_call(script);
        (outcome, lent) = call_with_world(script, lent, budget, ScriptInstance::start);
        let output = script.instance.take_output();
        log_messages(lent.world_mut(), script, output, tick);
        if !script.record_call(outcome, max_violations) {
            return lent;
        }
    }
    let mut share = TickShare::new(script.instance.limits());
    let permissions = Arc::clone(&script.permissions);
    let mut events = input
        .events
        .iter()
        .filter(|event| permissions.may_receive(&event.name));
    while let Some(event) = events.next() {
        if let Some(limit) = share.spent() {
            let count = 1 + events.count();
            script.record_error(undelivered(script, &share, limit, count));
            break;
        }
        let outcome;
        let budget = share.next_call().until(input.deadline);
        (outcome, lent) = call_with_world(script, lent, budget, |instance| {
            instance.event_encoded(&event.name, &event.payload, event.sender)
        });
        let output = script.instance.take_output();
        log_messages(lent.world_mut(), script, output, tick);
        share.charge(script.instance.fuel_used());
        if !script.record_call(outcome, max_violations) {
            return lent;
        }
    }
    // Each due task is a call of its own, at most `Limits::tasks` a tick
    // whatever the guest claims is due; the rest wait for the next tick.
    let mut resumptions = script.instance.limits().tasks;
    while resumptions > 0
        && script.instance.has_due_task(input.clock.time)
        && share.spent().is_none()
    {
        resumptions -= 1;
        let outcome;
        let budget = share.next_call().until(input.deadline);
        (outcome, lent) = call_with_world(script, lent, budget, ScriptInstance::resume_task);
        let output = script.instance.take_output();
        log_messages(lent.world_mut(), script, output, tick);
        share.charge(script.instance.fuel_used());
        let (outcome, more) = match outcome {
            Ok(resumed) => (Ok(()), resumed == Some(true)),
            Err(error) => (Err(error), true),
        };
        if !script.record_call(outcome, max_violations) {
            return lent;
        }
        if !more {
            break;
        }
    }
    let outcome;
    let budget = whole_call(script);
    (outcome, lent) = call_with_world(script, lent, budget, |instance| instance.update(input.dt));
    let output = script.instance.take_output();
    log_messages(lent.world_mut(), script, output, tick);
    script.record_call(outcome, max_violations);
    lent
}

/// The error recorded for events a script did not get because its share
/// of the tick was used up.
fn undelivered(
    script: &ManagedScript,
    share: &TickShare,
    limit: Limit,
    count: usize,
) -> ScriptError {
    ScriptError::ResourceLimitExceeded {
        script: script.name.to_string(),
        limit,
        message: format!(
            "{count} event(s) not delivered this tick: the script's event and task calls used \
             one call's budget ({}) this tick",
            share.budget(limit)
        ),
        line: None,
        traceback: None,
    }
}

/// Makes one call (`call`) with the world lent to the script, under
/// `budget`; commits its writes or rolls them back.
fn call_with_world<T>(
    script: &mut ManagedScript,
    mut lent: Box<WorldCall>,
    budget: CallBudget,
    call: impl FnOnce(&mut ScriptInstance) -> Result<T>,
) -> (Result<T>, Box<WorldCall>) {
    let write_bytes = script.instance.limits().write_bytes;
    lent.begin(
        Arc::clone(&script.permissions),
        Arc::clone(&script.name),
        script.instance.entity(),
        write_bytes,
    );
    // The instance holds the world for the call and gives it back after.
    script.instance.attach(lent);
    script.instance.limit_next_call(budget);
    let outcome = call(&mut script.instance);
    let mut lent = script
        .instance
        .detach()
        // The instance holds exactly the world attached above, whatever the
        // script did; only a bug in this crate could lose it.
        .expect("the world lent to a script call comes back");
    lent.finish(outcome.is_ok());
    (outcome, lent)
}

/// Moves a script's console messages into the world's console, tagged.
fn log_messages(
    world: &mut World,
    script: &ManagedScript,
    messages: Vec<ConsoleMessage>,
    tick: u64,
) {
    if messages.is_empty() {
        return;
    }
    world
        .get_resource_or_insert_with(ScriptConsole::default)
        .push_messages(&script.name, script.entity(), messages, tick);
}

/// The bevy system form of [`ScriptRunner::tick`] (an exclusive system),
/// with `dt` from [`ScriptDelta`].
pub fn run_scripts(world: &mut World) {
    let dt = world
        .get_resource::<ScriptDelta>()
        .map_or(1.0 / 60.0, |delta| delta.0);
    ScriptRunner::tick(world, dt);
}
