//! The world adapter: one script call's view of the bevy `World`.
//!
//! Every operation is checked against the script's permissions and the
//! [visibility rule](crate::visibility), and its host work is charged to the
//! call's [`HostWork`]. Writes are buffered as a transaction: reads see the
//! call's own pending writes, and the writes reach the world only through
//! [`WorldCall::commit`], which the script system calls when the call
//! returned normally. Otherwise [`WorldCall::rollback`] leaves the world as it
//! was (entities the call spawned are burnt, so their ids never come back as
//! other entities).

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bevy_ecs::entity::Entity;
use bevy_ecs::world::World;

use crate::budget::{
    ENTITIES_PER_CLOCK_CHECK, FUEL_PER_ENTITY, FUEL_PER_NAME_CHECK, HostLimitReached, HostWork,
};
use crate::ecs_api::{CallError, EcsError, EcsErrorKind, EcsHost};
use crate::permissions::Permissions;
use crate::registry::ComponentRegistry;
use crate::visibility::{CascadeRefusal, Visibility};

/// What one buffered write is charged on top of its name and value: the
/// host's own bookkeeping for it (the write itself and its entry in the
/// pending map), about 120 bytes measured with a counting allocator
/// (`tests/host_memory`), rounded up generously.
pub(crate) const WRITE_OVERHEAD_BYTES: usize = 256;

/// How much of a script-supplied name an error message quotes.
const QUOTED_NAME_CHARS: usize = 64;

/// `name` for an error message: cut short if long.
fn quoted(name: &str) -> String {
    match name.char_indices().nth(QUOTED_NAME_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &name[..cut], name.len()),
        None => name.to_string(),
    }
}

/// One buffered write, applied in order on commit.
enum Write {
    Spawn(Entity),
    Despawn(Entity),
    Insert(Entity, String, Arc<str>),
    Remove(Entity, String),
}

/// The world, lent to one call of one script.
pub(crate) struct WorldCall {
    world: World,
    registry: ComponentRegistry,
    visibility: Visibility,
    permissions: Arc<Permissions>,
    script: String,
    writes: Vec<Write>,
    /// Bytes the buffered writes hold, and the most they may.
    write_bytes: usize,
    max_write_bytes: usize,
    /// Pending component values as JSON text: `Some` for an insert, `None`
    /// for a removal.
    pending: BTreeMap<Entity, BTreeMap<String, Option<Arc<str>>>>,
    spawned: BTreeSet<Entity>,
    despawned: BTreeSet<Entity>,
}

impl WorldCall {
    pub(crate) fn new(
        world: World,
        registry: ComponentRegistry,
        permissions: Arc<Permissions>,
        script: &str,
        max_write_bytes: usize,
    ) -> Self {
        WorldCall {
            visibility: Visibility::of(&world, &registry),
            world,
            registry,
            permissions,
            script: script.to_string(),
            writes: Vec::new(),
            write_bytes: 0,
            max_write_bytes,
            pending: BTreeMap::new(),
            spawned: BTreeSet::new(),
            despawned: BTreeSet::new(),
        }
    }

    /// Applies the call's writes and gives the world back.
    pub(crate) fn commit(mut self) -> World {
        for write in std::mem::take(&mut self.writes) {
            match write {
                Write::Spawn(entity) => {
                    let _ = self.world.spawn_empty_at(entity);
                }
                Write::Despawn(entity) => {
                    self.world.despawn(entity);
                }
                Write::Insert(entity, name, json) => {
                    self.registry
                        .insert_json(&mut self.world, entity, &name, &json);
                }
                Write::Remove(entity, name) => self.registry.remove(&mut self.world, entity, &name),
            }
        }
        self.world
    }

    /// Drops the call's writes and gives the world back unchanged.
    pub(crate) fn rollback(mut self) -> World {
        for entity in std::mem::take(&mut self.spawned) {
            // The id was handed to the script: spawn and despawn it so its
            // generation moves on and it can never name another entity.
            if self.world.spawn_empty_at(entity).is_ok() {
                self.world.despawn(entity);
            }
        }
        self.world
    }

    fn denied(&self, what: String) -> EcsError {
        EcsError::new(
            EcsErrorKind::PermissionDenied,
            format!("permission denied: {} may not {what}", self.script),
        )
    }

    fn check_read(&self, name: &str) -> Result<(), EcsError> {
        self.check_access(name, self.permissions.may_read(name), "read")
    }

    fn check_write(&self, name: &str) -> Result<(), EcsError> {
        self.check_access(name, self.permissions.may_write(name), "write")
    }

    /// An unknown name is reported as such before permissions are looked at.
    fn check_access(&self, name: &str, allowed: bool, verb: &str) -> Result<(), EcsError> {
        self.check_known(name)?;
        if allowed {
            Ok(())
        } else {
            Err(self.denied(format!("{verb} {}", quoted(name))))
        }
    }

    fn check_known(&self, name: &str) -> Result<(), EcsError> {
        if self.registry.contains(name) {
            Ok(())
        } else {
            Err(EcsError::new(
                EcsErrorKind::UnknownComponent,
                format!("no component named `{}` is registered", quoted(name)),
            ))
        }
    }

    /// Counts `bytes` more of buffered writes (plus the bookkeeping of one
    /// write), refusing once the call would hold more than its cap.
    fn reserve(&mut self, bytes: usize) -> Result<(), EcsError> {
        let total = self
            .write_bytes
            .saturating_add(bytes)
            .saturating_add(WRITE_OVERHEAD_BYTES);
        if total > self.max_write_bytes {
            return Err(EcsError::new(
                EcsErrorKind::TooManyWrites,
                format!(
                    "{}: too many writes in one call: they would hold more than {} bytes \
                     (Limits::write_bytes)",
                    self.script, self.max_write_bytes
                ),
            ));
        }
        self.write_bytes = total;
        Ok(())
    }

    /// Checks a component value sent by the script, including every entity
    /// it refers to.
    fn check_value(&self, name: &str, json: &str) -> Result<(), EcsError> {
        let bad = |detail: String| {
            EcsError::new(
                EcsErrorKind::BadValue,
                format!("{}: bad value for component {name}: {detail}", self.script),
            )
        };
        let mut entities = Vec::new();
        self.registry
            .check_json(name, json, &mut entities)
            .map_err(bad)?;
        match entities.into_iter().find(|entity| !self.is_alive(*entity)) {
            Some(entity) => Err(bad(format!(
                "it refers to entity {}, which does not exist",
                entity.to_bits()
            ))),
            None => Ok(()),
        }
    }

    /// The call's pending write of `name` on `entity`, if any.
    fn pending(&self, entity: Entity, name: &str) -> Option<&Option<Arc<str>>> {
        self.pending.get(&entity)?.get(name)
    }

    /// Buffers a write of `name` on `entity` (`None` removes it).
    fn buffer(&mut self, entity: Entity, name: &str, json: Option<Arc<str>>) {
        self.writes.push(match &json {
            Some(json) => Write::Insert(entity, name.to_string(), Arc::clone(json)),
            None => Write::Remove(entity, name.to_string()),
        });
        self.pending
            .entry(entity)
            .or_default()
            .insert(name.to_string(), json);
    }

    /// Whether `entity` exists for the script: spawned by this call, or in
    /// the world and visible to scripts (see [`crate::visibility`]), and not
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

    /// A component as the call sees it (JSON text): its pending value first.
    fn current(&self, entity: Entity, name: &str) -> Option<String> {
        match self.pending(entity, name) {
            Some(pending) => pending.as_deref().map(String::from),
            None if self.spawned.contains(&entity) => None,
            None => self.registry.get_json(&self.world, entity, name),
        }
    }

    fn has_now(&self, entity: Entity, name: &str) -> bool {
        match self.pending(entity, name) {
            Some(pending) => pending.is_some(),
            None if self.spawned.contains(&entity) => false,
            None => self.registry.has(&self.world, entity, name),
        }
    }
}

impl EcsHost for WorldCall {
    fn spawn(
        &mut self,
        components: Vec<(String, String)>,
        _work: &mut HostWork,
    ) -> Result<u64, CallError> {
        if !self.permissions.spawn {
            return Err(self.denied("spawn entities".into()).into());
        }
        for (name, json) in &components {
            self.check_write(name)?;
            self.check_value(name, json)?;
        }
        let bytes: usize = components
            .iter()
            .map(|(name, json)| name.len() + json.len() + WRITE_OVERHEAD_BYTES)
            .sum();
        self.reserve(bytes)?;
        let entity = self.world.entity_allocator().alloc();
        self.spawned.insert(entity);
        self.writes.push(Write::Spawn(entity));
        for (name, json) in components {
            self.buffer(entity, &name, Some(json.into()));
        }
        Ok(entity.to_bits())
    }

    fn despawn(&mut self, bits: u64, work: &mut HostWork) -> Result<(), CallError> {
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

    fn exists(&mut self, bits: u64, _work: &mut HostWork) -> Result<bool, CallError> {
        Ok(self.live_entity(bits).is_ok())
    }

    fn get(
        &mut self,
        bits: u64,
        name: &str,
        work: &mut HostWork,
    ) -> Result<Option<String>, CallError> {
        self.check_read(name)?;
        let entity = self.live_entity(bits)?;
        let value = self.current(entity, name);
        work.charge_bytes(value.as_ref().map_or(0, String::len))?;
        Ok(value)
    }

    fn insert(
        &mut self,
        bits: u64,
        name: &str,
        json: String,
        _work: &mut HostWork,
    ) -> Result<(), CallError> {
        self.check_write(name)?;
        self.check_value(name, &json)?;
        let entity = self.live_entity(bits)?;
        self.reserve(name.len() + json.len())?;
        self.buffer(entity, name, Some(json.into()));
        Ok(())
    }

    fn remove(&mut self, bits: u64, name: &str, _work: &mut HostWork) -> Result<(), CallError> {
        self.check_write(name)?;
        let entity = self.live_entity(bits)?;
        self.reserve(name.len())?;
        self.buffer(entity, name, None);
        Ok(())
    }

    fn has(&mut self, bits: u64, name: &str, _work: &mut HostWork) -> Result<bool, CallError> {
        self.check_read(name)?;
        let entity = self.live_entity(bits)?;
        Ok(self.has_now(entity, name))
    }

    fn query(
        &mut self,
        with: &[String],
        without: &[String],
        work: &mut HostWork,
    ) -> Result<Vec<u64>, CallError> {
        for name in with.iter().chain(without) {
            self.check_read(name)?;
        }
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
                && with.iter().all(|name| self.has_now(entity, name))
                && !without.iter().any(|name| self.has_now(entity, name))
            {
                found.push(entity);
            }
        }
        found.sort_by_key(|entity| (entity.index(), entity.generation().to_bits()));
        found.dedup();
        Ok(found.into_iter().map(Entity::to_bits).collect())
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

impl From<HostLimitReached> for CallError {
    fn from(limit: HostLimitReached) -> Self {
        CallError::Limit(limit)
    }
}
