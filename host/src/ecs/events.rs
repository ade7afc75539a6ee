//! Events between scripts and with the engine: the bounds on what a script
//! emits, the events on their way to the scripts of the next tick, and the
//! engine's inbox.
//!
//! A script emits with `ecs.emit(name, payload)` (needs `name` in its
//! [`Permissions::emit`](crate::ecs::Permissions::emit), and an entity: the
//! event's sender, so a script never passes for the engine); the event is
//! buffered with the call's writes and dropped with them when the call
//! fails. On the next tick every script whose
//! [`Permissions::receive`](crate::ecs::Permissions::receive) holds `name`
//! gets `on_event(name, payload, sender)`, and the engine finds it in
//! [`EmittedEvents`]. The engine's own events ([`ScriptEvents`]) reach the
//! scripts the same way, with sender nil.
//!
//! [`ScriptEvents`]: crate::ecs::ScriptEvents

use std::collections::VecDeque;

use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;

use crate::sandbox::json_text::JsonText;

/// The most bytes of one event's payload, as MessagePack.
pub const MAX_EVENT_PAYLOAD_BYTES: usize = 16 * 1024;
/// The longest event name, in bytes.
pub const MAX_EVENT_NAME_BYTES: usize = 256;
/// The most events one script may emit in one tick.
pub const MAX_EVENTS_PER_SCRIPT_TICK: usize = 64;
/// The most events all scripts together may emit in one tick.
pub const MAX_EVENTS_PER_TICK: usize = 1_024;
/// The most events [`EmittedEvents`] keeps for an engine that does not
/// drain it; older ones are dropped (and counted).
pub const MAX_UNDRAINED_EVENTS: usize = 4 * MAX_EVENTS_PER_TICK;
/// The most bytes the events [`EmittedEvents`] keeps may hold (names,
/// payloads as JSON, script names, and 128 bytes each); older
/// ones are dropped (and counted).
pub const MAX_UNDRAINED_EVENT_BYTES: usize = 16 << 20;
/// What [`EmittedEvents`] counts for each event on top of its texts.
const EVENT_OVERHEAD_BYTES: usize = 128;

/// The bytes an event holds in [`EmittedEvents`].
fn held_bytes(event: &EmittedEvent) -> usize {
    event.name.len() + event.payload.as_str().len() + event.script.len() + EVENT_OVERHEAD_BYTES
}

/// An event a script emitted, as the engine receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct EmittedEvent {
    /// The event's name.
    pub name: String,
    /// Its payload (`null` when the script gave none).
    pub payload: JsonText,
    /// The emitting script's entity (always set: a script with no entity
    /// cannot emit, so a nil sender stays the engine's).
    pub sender: Option<Entity>,
    /// The emitting script's name.
    pub script: String,
}

/// What scripts emitted, for the engine to drain (a resource, filled at the
/// end of each tick, in the order the events were emitted).
///
/// ```
/// use bevy_ecs::prelude::*;
/// use luabox::ScriptEngine;
/// use luabox::ecs::{EmittedEvents, Permissions, ScriptManager, ScriptRunner};
///
/// let mut world = World::new();
/// world.insert_resource(ScriptManager::new(ScriptEngine::new(Default::default())?));
/// let door = world.spawn_empty().id();
/// let source = "function on_update() ecs.emit('opened', {by = 'player'}) end";
/// let permissions = Permissions::default().emit(["opened"]);
/// ScriptRunner::attach(&mut world, door, "door.lua", source, Default::default(), permissions)?;
/// ScriptRunner::tick(&mut world, 1.0 / 60.0);
///
/// let mut emitted = world.resource_mut::<EmittedEvents>();
/// let event = emitted.drain().next().unwrap();
/// assert_eq!((event.name.as_str(), event.sender), ("opened", Some(door)));
/// assert_eq!(event.payload.as_str(), r#"{"by":"player"}"#);
/// # Ok::<(), luabox::ScriptError>(())
/// ```
#[derive(Resource, Debug, Default)]
pub struct EmittedEvents {
    events: VecDeque<EmittedEvent>,
    /// What `events` holds (see [`MAX_UNDRAINED_EVENT_BYTES`]).
    bytes: usize,
    dropped: u64,
}

impl EmittedEvents {
    /// Takes every event held, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = EmittedEvent> + '_ {
        self.bytes = 0;
        self.events.drain(..)
    }

    /// The events held, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &EmittedEvent> {
        self.events.iter()
    }

    /// How many events are held.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How many events were dropped because more than
    /// [`MAX_UNDRAINED_EVENTS`], or more than [`MAX_UNDRAINED_EVENT_BYTES`],
    /// waited.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn push(&mut self, event: EmittedEvent) {
        let bytes = held_bytes(&event);
        while self.events.len() >= MAX_UNDRAINED_EVENTS
            || self.bytes + bytes > MAX_UNDRAINED_EVENT_BYTES
        {
            let Some(oldest) = self.events.pop_front() else {
                break;
            };
            self.bytes -= held_bytes(&oldest);
            self.dropped += 1;
        }
        self.bytes += bytes;
        self.events.push_back(event);
    }
}

/// An event on its way to the scripts.
#[derive(Clone, Debug)]
pub(crate) struct Delivery {
    pub(crate) name: String,
    /// MessagePack.
    pub(crate) payload: Vec<u8>,
    pub(crate) sender: Option<u64>,
}

/// An event a script emitted in a call that returned normally.
pub(crate) struct Emitted {
    pub(crate) delivery: Delivery,
    /// The payload as the engine gets it (checked when emitted).
    pub(crate) json: JsonText,
    pub(crate) script: String,
}

/// The events scripts emitted in one tick, delivered to the scripts on the
/// next (a resource private to the crate).
#[derive(Resource, Default)]
pub(crate) struct PendingDeliveries(pub(crate) Vec<Delivery>);

/// Files a tick's emitted events: for the scripts' next tick, and for the
/// engine.
pub(crate) fn file(world: &mut bevy_ecs::world::World, emitted: Vec<Emitted>) {
    if emitted.is_empty() {
        return;
    }
    let mut deliveries = Vec::with_capacity(emitted.len());
    {
        let mut inbox = world.get_resource_or_insert_with(EmittedEvents::default);
        for event in emitted {
            inbox.push(EmittedEvent {
                name: event.delivery.name.clone(),
                payload: event.json,
                sender: event.delivery.sender.and_then(Entity::try_from_bits),
                script: event.script,
            });
            deliveries.push(event.delivery);
        }
    }
    world
        .get_resource_or_insert_with(PendingDeliveries::default)
        .0
        .extend(deliveries);
}
