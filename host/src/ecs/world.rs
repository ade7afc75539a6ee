//! The world adapter: one script call's view of the bevy `World`.
//!
//! Every operation is checked against the script's permissions and the
//! [visibility rule](crate::ecs::visibility), and its host work is charged to the
//! call's [`HostWork`]. Writes are buffered as a transaction: reads see the
//! call's own pending writes, and the writes reach the world only through
//! [`WorldCall::commit`], which the script system calls when the call
//! returned normally. Otherwise [`WorldCall::rollback`] leaves the world as it
//! was (entities the call spawned are burnt, so their ids never come back as
//! other entities).
//!
//! Components arrive resolved ([`Access`]: an index into the registry and the
//! script's permission bits), and values as MessagePack, decoded once into
//! the component's type when they are sent: commit only moves them into the
//! world.

use std::collections::BTreeSet;
use std::sync::Arc;

use bevy_ecs::entity::Entity;
use bevy_ecs::world::World;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::ecs::call_error::{CallError, EcsError, EcsErrorKind};
use crate::ecs::events::{
    Delivery, Emitted, MAX_EVENT_NAME_BYTES, MAX_EVENT_PAYLOAD_BYTES, MAX_EVENTS_PER_SCRIPT_TICK,
    MAX_EVENTS_PER_TICK,
};
use crate::ecs::permissions::Permissions;
use crate::ecs::registry::{ComponentRegistry, DecodeError, Decoded, KindIndex};
use crate::ecs::visibility::{CascadeRefusal, Visibility};
use crate::wasm::budget::{
    ENTITIES_PER_CLOCK_CHECK, FUEL_PER_ENTITY, FUEL_PER_NAME_CHECK, HostLimitReached, HostWork,
};

/// What one buffered write is charged on top of its value: the host's own
/// bookkeeping for it (the write itself and its entry in the pending map),
/// about 120 bytes measured with a counting allocator (`tests/host_memory`),
/// rounded up generously.
pub(crate) const WRITE_OVERHEAD_BYTES: usize = 256;

/// The most entities one `each-next` page may hold.
pub(crate) const MAX_PAGE: usize = 1_024;

/// The bytes of values past which an `each-next` page ends early (it holds
/// at least one entity), so a page of large values is not built whole.
pub(crate) const MAX_PAGE_BYTES: usize = 1 << 20;

/// How many bytes of values a page gathers between two looks at the clock
/// (besides every [`ENTITIES_PER_CLOCK_CHECK`] entities).
const PAGE_BYTES_PER_CLOCK_CHECK: usize = 64 << 10;

/// How much of a script-supplied name an error message quotes.
const QUOTED_NAME_CHARS: usize = 64;

/// `name` for an error message: cut short if long.
pub(crate) fn quoted(name: &str) -> String {
    match name.char_indices().nth(QUOTED_NAME_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &name[..cut], name.len()),
        None => name.to_string(),
    }
}

/// A component as one script may use it: where it is in the registry and
/// what the script's permissions allow. Resolved once per sandbox (per
/// registry generation), then carried by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Access {
    pub(crate) index: KindIndex,
    pub(crate) read: bool,
    pub(crate) write: bool,
}

/// One buffered write, applied in order on commit.
enum Write {
    Spawn(Entity),
    Despawn(Entity),
    Insert(Entity, KindIndex, Decoded),
    Remove(Entity, KindIndex),
}

/// An `ecs.each` iteration: the entities that matched when it began.
struct Cursor {
    components: Vec<KindIndex>,
    entities: Vec<Entity>,
    next: usize,
}

/// One page of an `ecs.each` iteration.
pub(crate) struct Page {
    pub(crate) entities: Vec<u64>,
    /// One MessagePack value per component per entity, in order.
    pub(crate) values: Vec<u8>,
}

/// The world, lent to the scripts' calls of one tick: each call borrows it
/// in turn ([`WorldCall::begin`], [`WorldCall::finish`]), so the world moves
/// once per tick and the call's buffers keep their capacity.
pub(crate) struct WorldCall {
    world: World,
    registry: ComponentRegistry,
    visibility: Visibility,
    permissions: Arc<Permissions>,
    script: Arc<str>,
    /// The calling script's entity: the sender of its events.
    entity: Option<u64>,
    writes: Vec<Write>,
    /// Bytes the call holds on the host (buffered writes, iteration
    /// cursors), and the most it may.
    held_bytes: usize,
    max_held_bytes: usize,
    /// Pending component values (MessagePack, as the script sent them):
    /// `Some` for an insert, `None` for a removal.
    pending: FxHashMap<(Entity, KindIndex), Option<Box<[u8]>>>,
    spawned: BTreeSet<Entity>,
    despawned: FxHashSet<Entity>,
    cursors: Vec<Cursor>,
    /// The current call's events, and those of the tick's calls that
    /// returned normally; how many the current script emitted before this
    /// call in the tick.
    call_events: Vec<Emitted>,
    tick_events: Vec<Emitted>,
    script_events: usize,
}

impl WorldCall {
    /// Lends `world` for one tick: `registry` and `visibility` hold for every
    /// call in it.
    pub(crate) fn new(world: World, registry: ComponentRegistry, visibility: Visibility) -> Self {
        WorldCall {
            world,
            registry,
            visibility,
            permissions: Arc::new(Permissions::default()),
            script: Arc::from(""),
            entity: None,
            writes: Vec::new(),
            held_bytes: 0,
            max_held_bytes: 0,
            pending: FxHashMap::default(),
            spawned: BTreeSet::new(),
            despawned: FxHashSet::default(),
            cursors: Vec::new(),
            call_events: Vec::new(),
            tick_events: Vec::new(),
            script_events: 0,
        }
    }

    /// Starts a script's turn in the tick (its per-tick event count).
    pub(crate) fn begin_script(&mut self) {
        self.script_events = 0;
    }

    /// Starts a call of `script` (attached to `entity`) with its permissions
    /// and its write budget.
    pub(crate) fn begin(
        &mut self,
        permissions: Arc<Permissions>,
        script: Arc<str>,
        entity: Option<u64>,
        max_held_bytes: usize,
    ) {
        self.permissions = permissions;
        self.script = script;
        self.entity = entity;
        self.max_held_bytes = max_held_bytes;
        self.held_bytes = 0;
    }

    /// The events emitted in the tick's calls that returned normally, in
    /// order.
    pub(crate) fn take_events(&mut self) -> Vec<Emitted> {
        std::mem::take(&mut self.tick_events)
    }

    /// Ends the current call: applies its writes when it returned normally
    /// (`commit`), else drops them and burns the entities it spawned.
    pub(crate) fn finish(&mut self, commit: bool) {
        if commit {
            self.commit();
            self.script_events += self.call_events.len();
            self.tick_events.append(&mut self.call_events);
        } else {
            self.rollback();
            self.call_events.clear();
        }
        self.writes.clear();
        self.pending.clear();
        self.spawned.clear();
        self.despawned.clear();
        self.cursors.clear();
        self.held_bytes = 0;
    }

    /// The world, between calls.
    pub(crate) fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// Gives the world back at the end of the tick.
    pub(crate) fn into_world(self) -> World {
        self.world
    }

    /// The generation of the registry this call resolves names against.
    pub(crate) fn registry_generation(&self) -> u64 {
        self.registry.generation()
    }

    /// Applies the call's writes, in order.
    fn commit(&mut self) {
        let WorldCall {
            world,
            registry,
            writes,
            ..
        } = self;
        for write in writes.drain(..) {
            match write {
                Write::Spawn(entity) => {
                    let _ = world.spawn_empty_at(entity);
                }
                Write::Despawn(entity) => {
                    world.despawn(entity);
                }
                Write::Insert(entity, index, value) => {
                    registry.insert_at(world, entity, index, value);
                }
                Write::Remove(entity, index) => registry.remove_at(world, entity, index),
            }
        }
    }

    /// Leaves the world as it was before the call.
    fn rollback(&mut self) {
        for entity in &self.spawned {
            // The id was handed to the script: spawn and despawn it so its
            // generation moves on and it can never name another entity.
            if self.world.spawn_empty_at(*entity).is_ok() {
                self.world.despawn(*entity);
            }
        }
    }

    /// The component `name` as this script may use it.
    pub(crate) fn resolve(&self, name: &str) -> Result<Access, EcsError> {
        let index = self.registry.index_of(name).ok_or_else(|| {
            EcsError::new(
                EcsErrorKind::UnknownComponent,
                format!("no component named `{}` is registered", quoted(name)),
            )
        })?;
        Ok(Access {
            index,
            read: self.permissions.may_read(name),
            write: self.permissions.may_write(name),
        })
    }

    fn denied(&self, what: String) -> EcsError {
        EcsError::new(
            EcsErrorKind::PermissionDenied,
            format!("permission denied: {} may not {what}", self.script),
        )
    }

    fn check_read(&self, access: Access) -> Result<(), EcsError> {
        if access.read {
            return Ok(());
        }
        Err(self.denied(format!("read {}", self.registry.name(access.index))))
    }

    fn check_write(&self, access: Access) -> Result<(), EcsError> {
        if access.write {
            return Ok(());
        }
        Err(self.denied(format!("write {}", self.registry.name(access.index))))
    }

    /// Counts `bytes` more held for the call (plus the bookkeeping of one
    /// write), refusing once the call would hold more than its cap.
    fn reserve(&mut self, bytes: usize) -> Result<(), EcsError> {
        let total = self
            .held_bytes
            .saturating_add(bytes)
            .saturating_add(WRITE_OVERHEAD_BYTES);
        if total > self.max_held_bytes {
            return Err(self.too_many_writes());
        }
        self.held_bytes = total;
        Ok(())
    }

    fn too_many_writes(&self) -> EcsError {
        EcsError::new(
            EcsErrorKind::TooManyWrites,
            format!(
                "too many writes in one call: they would hold more than {} bytes \
                 (Limits::write_bytes)",
                self.max_held_bytes
            ),
        )
    }

    /// The bytes a value sent as `sent` bytes may hold once stored, after
    /// `already` more bytes this call is about to hold: what the call's
    /// write budget has left for it.
    fn room_for(&self, sent: usize, already: usize) -> usize {
        self.max_held_bytes
            .saturating_sub(self.held_bytes)
            .saturating_sub(already)
            .saturating_sub(sent)
            .saturating_sub(WRITE_OVERHEAD_BYTES)
    }

    /// Decodes a component value sent by the script, which may hold at most
    /// `max_stored` bytes once stored (a schema-less value's JSON is made
    /// only that far), and checks every entity it refers to.
    fn decode(
        &self,
        index: KindIndex,
        bytes: &[u8],
        max_stored: usize,
    ) -> Result<Decoded, EcsError> {
        let bad = |detail: String| {
            EcsError::new(
                EcsErrorKind::BadValue,
                format!(
                    "bad value for component {}: {detail}",
                    self.registry.name(index)
                ),
            )
        };
        let mut entities = Vec::new();
        let value = match self
            .registry
            .decode_at(index, bytes, &mut entities, max_stored)
        {
            Ok(value) => value,
            Err(DecodeError::Bad(detail)) => return Err(bad(detail)),
            Err(DecodeError::TooLarge) => return Err(self.too_many_writes()),
        };
        match entities.into_iter().find(|entity| !self.is_alive(*entity)) {
            Some(entity) => Err(bad(format!(
                "it refers to entity {}, which does not exist",
                entity.to_bits()
            ))),
            None => Ok(value),
        }
    }

    /// Buffers an insert (the value decoded and as sent) or a removal.
    fn buffer(&mut self, entity: Entity, index: KindIndex, value: Option<(Decoded, Vec<u8>)>) {
        match value {
            Some((decoded, bytes)) => {
                self.writes.push(Write::Insert(entity, index, decoded));
                self.pending
                    .insert((entity, index), Some(bytes.into_boxed_slice()));
            }
            None => {
                self.writes.push(Write::Remove(entity, index));
                self.pending.insert((entity, index), None);
            }
        }
    }

    /// Whether `entity` exists for the script: spawned by this call, or in
    /// the world and visible to scripts (see [`crate::ecs::visibility`]), and not
    /// despawned by this call.
    fn is_alive(&self, entity: Entity) -> bool {
        if self.despawned.contains(&entity) {
            return false;
        }
        self.spawned.contains(&entity) || self.visibility.sees_in(&self.world, entity)
    }

    /// The live entity behind `bits`, or `NoSuchEntity`.
    fn live_entity(&self, bits: u64) -> Result<Entity, EcsError> {
        Entity::try_from_bits(bits)
            .filter(|entity| self.is_alive(*entity))
            .ok_or_else(|| {
                EcsError::new(
                    EcsErrorKind::NoSuchEntity,
                    format!("entity {bits} does not exist"),
                )
            })
    }

    /// Appends a component as the call sees it (its pending value first);
    /// false when the entity lacks it.
    fn current(&self, entity: Entity, index: KindIndex, out: &mut Vec<u8>) -> bool {
        match self.pending.get(&(entity, index)) {
            Some(Some(bytes)) => {
                out.extend_from_slice(bytes);
                true
            }
            Some(None) => false,
            None if self.spawned.contains(&entity) => false,
            None => {
                // Entities the value names that scripts may not see stay
                // unknown to them (the value names a placeholder instead).
                let hidden = |named: Entity| {
                    self.world
                        .get_entity(named)
                        .is_ok_and(|found| !self.visibility.sees(found))
                };
                self.world
                    .get_entity(entity)
                    .is_ok_and(|found| self.registry.encode_at(found, index, out, &hidden))
            }
        }
    }

    fn has_now(&self, entity: Entity, index: KindIndex) -> bool {
        match self.pending.get(&(entity, index)) {
            Some(pending) => pending.is_some(),
            None if self.spawned.contains(&entity) => false,
            None => self
                .world
                .get_entity(entity)
                .is_ok_and(|found| self.registry.has_at(found, index)),
        }
    }

    /// The live entities (this call's spawns first, then the world's) that
    /// have every `with` component and no `without` one, in id order.
    fn matching(
        &self,
        with: &[KindIndex],
        without: &[KindIndex],
        work: &mut HostWork,
    ) -> Result<Vec<Entity>, HostLimitReached> {
        let per_entity = FUEL_PER_ENTITY.saturating_add(
            FUEL_PER_NAME_CHECK.saturating_mul((with.len() + without.len()) as u64),
        );
        let world_entities = self.visibility.visible_entities(&self.world);
        let candidates = self.spawned.iter().copied().chain(world_entities);
        let mut found = Vec::new();
        for (visited, entity) in candidates.enumerate() {
            work.charge(per_entity)?;
            if visited % ENTITIES_PER_CLOCK_CHECK == 0 {
                work.check_clock()?;
            }
            if !self.despawned.contains(&entity)
                && with.iter().all(|index| self.has_now(entity, *index))
                && !without.iter().any(|index| self.has_now(entity, *index))
            {
                found.push(entity);
            }
        }
        found.sort_by_key(|entity| (entity.index(), entity.generation().to_bits()));
        found.dedup();
        Ok(found)
    }

    pub(crate) fn spawn(
        &mut self,
        components: Vec<(Access, Vec<u8>)>,
        _work: &mut HostWork,
    ) -> Result<u64, CallError> {
        if !self.permissions.spawn {
            return Err(self.denied("spawn entities".into()).into());
        }
        let mut decoded = Vec::with_capacity(components.len());
        // What the components decoded so far will hold: the value as sent
        // (reads see it), the value stored, and a write's bookkeeping.
        let mut held = 0usize;
        for (access, bytes) in components {
            self.check_write(access)?;
            let value = self.decode(access.index, &bytes, self.room_for(bytes.len(), held))?;
            held = held
                .saturating_add(bytes.len())
                .saturating_add(value.stored_bytes())
                .saturating_add(WRITE_OVERHEAD_BYTES);
            decoded.push((access.index, value, bytes));
        }
        self.reserve(held)?;
        let entity = self.world.entity_allocator().alloc();
        self.spawned.insert(entity);
        self.writes.push(Write::Spawn(entity));
        for (index, value, bytes) in decoded {
            self.buffer(entity, index, Some((value, bytes)));
        }
        Ok(entity.to_bits())
    }

    pub(crate) fn despawn(&mut self, bits: u64, work: &mut HostWork) -> Result<(), CallError> {
        if !self.permissions.despawn {
            return Err(self.denied("despawn entities".into()).into());
        }
        let entity = self.live_entity(bits)?;
        if !self.spawned.contains(&entity) {
            let refusal = self
                .visibility
                .check_cascade(&self.world, entity, &mut || work.charge(FUEL_PER_ENTITY))?;
            let refused = |why: &str| {
                EcsError::new(
                    EcsErrorKind::PermissionDenied,
                    format!(
                        "permission denied: {} may not despawn entity {bits}: {why}",
                        self.script
                    ),
                )
            };
            match refusal {
                Ok(()) => {}
                Err(CascadeRefusal::Hidden(_)) => {
                    return Err(refused("it would also despawn entities scripts cannot see").into());
                }
                Err(CascadeRefusal::Opaque) => {
                    return Err(
                        refused("it holds a relationship that despawns other entities").into(),
                    );
                }
            }
        }
        self.reserve(0)?;
        self.despawned.insert(entity);
        self.writes.push(Write::Despawn(entity));
        Ok(())
    }

    pub(crate) fn exists(&mut self, bits: u64) -> bool {
        self.live_entity(bits).is_ok()
    }

    pub(crate) fn get(
        &mut self,
        bits: u64,
        access: Access,
        work: &mut HostWork,
    ) -> Result<Option<Vec<u8>>, CallError> {
        self.check_read(access)?;
        let entity = self.live_entity(bits)?;
        let mut value = Vec::with_capacity(64);
        if !self.current(entity, access.index, &mut value) {
            return Ok(None);
        }
        work.charge_bytes(value.len())?;
        Ok(Some(value))
    }

    pub(crate) fn insert(
        &mut self,
        bits: u64,
        access: Access,
        bytes: Vec<u8>,
        _work: &mut HostWork,
    ) -> Result<(), CallError> {
        self.check_write(access)?;
        let value = self.decode(access.index, &bytes, self.room_for(bytes.len(), 0))?;
        let entity = self.live_entity(bits)?;
        // The value as sent (reads see it) and as it will be stored.
        self.reserve(bytes.len().saturating_add(value.stored_bytes()))?;
        self.buffer(entity, access.index, Some((value, bytes)));
        Ok(())
    }

    pub(crate) fn remove(&mut self, bits: u64, access: Access) -> Result<(), CallError> {
        self.check_write(access)?;
        let entity = self.live_entity(bits)?;
        self.reserve(0)?;
        self.buffer(entity, access.index, None);
        Ok(())
    }

    pub(crate) fn has(&mut self, bits: u64, access: Access) -> Result<bool, CallError> {
        self.check_read(access)?;
        let entity = self.live_entity(bits)?;
        Ok(self.has_now(entity, access.index))
    }

    pub(crate) fn query(
        &mut self,
        with: &[Access],
        without: &[Access],
        work: &mut HostWork,
    ) -> Result<Vec<u64>, CallError> {
        for access in with.iter().chain(without) {
            self.check_read(*access)?;
        }
        let indices = |list: &[Access]| {
            let mut indices: Vec<KindIndex> = list.iter().map(|access| access.index).collect();
            // A component given twice is checked once.
            indices.sort_unstable();
            indices.dedup();
            indices
        };
        let found = self.matching(&indices(with), &indices(without), work)?;
        Ok(found.into_iter().map(Entity::to_bits).collect())
    }

    /// Buffers the event `name` (payload: MessagePack) for the next tick.
    pub(crate) fn emit(&mut self, name: String, payload: Vec<u8>) -> Result<(), CallError> {
        if !self.permissions.may_emit(&name) {
            return Err(self.denied(format!("emit {}", quoted(&name))).into());
        }
        if self.entity.is_none() {
            // Receivers tell the engine's events by their nil sender: a
            // script must not pass for the engine.
            return Err(EcsError::new(
                EcsErrorKind::Unavailable,
                format!(
                    "{} has no entity, and an event names its sender (nil is the engine): \
                     attach the script to an entity to emit",
                    self.script
                ),
            )
            .into());
        }
        let bad = |detail: String| EcsError::new(EcsErrorKind::BadValue, detail);
        if name.len() > MAX_EVENT_NAME_BYTES {
            return Err(bad(format!(
                "the event name is {} bytes; at most {MAX_EVENT_NAME_BYTES}",
                name.len()
            ))
            .into());
        }
        if payload.len() > MAX_EVENT_PAYLOAD_BYTES {
            return Err(bad(format!(
                "event {name}: the payload is {} bytes; at most {MAX_EVENT_PAYLOAD_BYTES}",
                payload.len()
            ))
            .into());
        }
        let pending = self.call_events.len();
        if self.script_events + pending >= MAX_EVENTS_PER_SCRIPT_TICK
            || self.tick_events.len() + pending >= MAX_EVENTS_PER_TICK
        {
            return Err(EcsError::new(
                EcsErrorKind::TooManyEvents,
                format!(
                    "too many events this tick (at most {MAX_EVENTS_PER_SCRIPT_TICK} a script, \
                     {MAX_EVENTS_PER_TICK} in all)"
                ),
            )
            .into());
        }
        // Checked now, so the engine never gets a payload it cannot read.
        let json = crate::wasm::msgpack::to_json(&payload, 8 * MAX_EVENT_PAYLOAD_BYTES)
            .map_err(|error| bad(format!("event {name}: bad payload: {error}")))?;
        self.reserve(name.len() + payload.len() + json.as_str().len())?;
        self.call_events.push(Emitted {
            delivery: Delivery {
                name,
                payload,
                sender: self.entity,
            },
            json,
            script: self.script.to_string(),
        });
        Ok(())
    }

    /// Starts an `ecs.each` iteration; returns its cursor.
    pub(crate) fn each_open(
        &mut self,
        components: &[Access],
        work: &mut HostWork,
    ) -> Result<u32, CallError> {
        for access in components {
            self.check_read(*access)?;
        }
        let mut distinct: Vec<KindIndex> = components.iter().map(|access| access.index).collect();
        distinct.sort_unstable();
        if let Some(pair) = distinct.windows(2).find(|pair| pair[0] == pair[1]) {
            // Each value would cross once per repeat: the guest sends each
            // component once and repeats the value itself.
            return Err(EcsError::new(
                EcsErrorKind::BadValue,
                format!(
                    "component {} is named more than once in one iteration",
                    self.registry.name(pair[0])
                ),
            )
            .into());
        }
        let entities = self.matching(&distinct, &[], work)?;
        self.reserve(entities.len().saturating_mul(size_of::<Entity>()))?;
        let cursor = u32::try_from(self.cursors.len()).unwrap_or(u32::MAX);
        self.cursors.push(Cursor {
            components: components.iter().map(|access| access.index).collect(),
            entities,
            next: 0,
        });
        Ok(cursor)
    }

    /// The next page of at most `max` entities of an `ecs.each` iteration,
    /// skipping entities that this call has since despawned or stripped. The
    /// page ends early once its values pass [`MAX_PAGE_BYTES`]; each value
    /// is charged as it is copied, and the clock is checked as the page
    /// grows, so a page of large values stops within the call's budgets.
    pub(crate) fn each_next(
        &mut self,
        cursor: u32,
        max: u32,
        work: &mut HostWork,
    ) -> Result<Page, CallError> {
        let unknown = || {
            EcsError::new(
                EcsErrorKind::BadValue,
                format!("no iteration {cursor} in this call (an ecs.each ends with its call)"),
            )
        };
        let at = usize::try_from(cursor).map_err(|_| unknown())?;
        let mut cursor = match self.cursors.get_mut(at) {
            Some(cursor) => std::mem::replace(
                cursor,
                Cursor {
                    components: Vec::new(),
                    entities: Vec::new(),
                    next: 0,
                },
            ),
            None => return Err(unknown().into()),
        };
        let max = usize::try_from(max).unwrap_or(MAX_PAGE).min(MAX_PAGE);
        let mut page = Page {
            entities: Vec::with_capacity(max.min(cursor.entities.len() - cursor.next)),
            values: Vec::new(),
        };
        let per_entity = FUEL_PER_ENTITY
            .saturating_add(FUEL_PER_NAME_CHECK.saturating_mul(cursor.components.len() as u64));
        let mut outcome = Ok(());
        let mut visited = 0usize;
        let mut bytes_at_last_check = 0usize;
        'entities: while page.entities.len() < max
            && cursor.next < cursor.entities.len()
            && page.values.len() < MAX_PAGE_BYTES
        {
            let entity = cursor.entities[cursor.next];
            cursor.next += 1;
            visited += 1;
            if let Err(limit) = work.charge(per_entity) {
                outcome = Err(limit);
                break;
            }
            if visited.is_multiple_of(ENTITIES_PER_CLOCK_CHECK)
                || page.values.len() - bytes_at_last_check >= PAGE_BYTES_PER_CLOCK_CHECK
            {
                bytes_at_last_check = page.values.len();
                if let Err(limit) = work.check_clock() {
                    outcome = Err(limit);
                    break;
                }
            }
            if !self.is_alive(entity)
                || !cursor
                    .components
                    .iter()
                    .all(|index| self.has_now(entity, *index))
            {
                continue;
            }
            for index in &cursor.components {
                let before = page.values.len();
                self.current(entity, *index, &mut page.values);
                if let Err(limit) = work.charge_bytes(page.values.len() - before) {
                    outcome = Err(limit);
                    break 'entities;
                }
            }
            page.entities.push(entity.to_bits());
        }
        if let Some(slot) = self.cursors.get_mut(at) {
            *slot = cursor;
        }
        outcome?;
        Ok(page)
    }
}

impl From<HostLimitReached> for CallError {
    fn from(limit: HostLimitReached) -> Self {
        CallError::Limit(limit)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::ecs::registry::JsonComponents;
    use crate::sandbox::json_text::JsonText;

    /// A call's view of a world of `entities` entities, each with a
    /// schema-less `Big` string of `value_bytes` bytes, and `Big`'s access.
    fn call_over(entities: usize, value_bytes: usize) -> (WorldCall, Access) {
        let mut world = World::new();
        let mut registry = ComponentRegistry::default();
        registry.register_json("Big");
        let value = JsonText::parse_text(format!("\"{}\"", "b".repeat(value_bytes))).unwrap();
        for _ in 0..entities {
            world.spawn(JsonComponents(BTreeMap::from([(
                "Big".to_string(),
                value.clone(),
            )])));
        }
        let visibility = Visibility::of(&world, &registry);
        let mut call = WorldCall::new(world, registry, visibility);
        call.begin(
            Arc::new(Permissions::default().read(["Big"])),
            Arc::from("reader.lua"),
            None,
            16 << 20,
        );
        let access = call.resolve("Big").unwrap();
        (call, access)
    }

    fn work(fuel: u64) -> HostWork {
        HostWork::new(Some(fuel), Instant::now() + Duration::from_secs(60))
    }

    #[test]
    fn an_iteration_naming_a_component_twice_is_refused() {
        let (mut call, big) = call_over(2, 10);
        match call.each_open(&[big, big], &mut work(u64::MAX)) {
            Err(CallError::Refused(error)) => {
                assert_eq!(error.kind, EcsErrorKind::BadValue);
                assert!(
                    error.message.contains("Big is named more than once"),
                    "{}",
                    error.message
                );
            }
            other => panic!("{:?}", other.map_err(|_| ())),
        }
    }

    #[test]
    fn a_page_of_large_values_ends_past_its_byte_cap_and_is_charged_as_it_grows() {
        // Ten entities of 600 KB: a page holds two (past 1 MiB it ends).
        let (mut call, big) = call_over(10, 600_000);
        let mut budget = work(u64::MAX);
        let cursor = call.each_open(&[big], &mut budget).unwrap();
        let mut pages = Vec::new();
        loop {
            let page = call.each_next(cursor, 1_024, &mut budget).unwrap();
            if page.entities.is_empty() {
                break;
            }
            assert!(
                page.values.len() < MAX_PAGE_BYTES + 700_000,
                "{}",
                page.values.len()
            );
            pages.push(page.entities.len());
        }
        assert_eq!(pages, [2, 2, 2, 2, 2]);

        // Fuel for one value and a half: the page stops at the second.
        let (mut call, big) = call_over(10, 600_000);
        let cursor = call.each_open(&[big], &mut work(u64::MAX)).unwrap();
        let mut short = work(crate::wasm::budget::FUEL_PER_BYTE * 900_000);
        match call.each_next(cursor, 1_024, &mut short) {
            Err(CallError::Limit(limit)) => {
                assert_eq!(limit.limit, crate::sandbox::error::Limit::Fuel)
            }
            other => panic!(
                "{:?}",
                other.map(|page| page.entities.len()).map_err(|_| ())
            ),
        }
    }
}
