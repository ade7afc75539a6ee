//! The world adapter: one script call's view of the bevy `World`.
//!
//! Every operation is checked against the script's permissions. Writes are
//! buffered as a transaction: reads see the call's own pending writes, and
//! the writes reach the world only through [`WorldCall::commit`], which the
//! script system calls when the call returned normally. Otherwise
//! [`WorldCall::rollback`] leaves the world as it was (entities the call
//! spawned are burnt, so their ids never come back as other entities).

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bevy_ecs::entity::Entity;
use bevy_ecs::entity_disabling::Disabled;
use bevy_ecs::resource::IsResource;
use bevy_ecs::world::World;

use crate::ecs_api::{EcsError, EcsErrorKind, EcsHost};
use crate::permissions::Permissions;
use crate::registry::ComponentRegistry;

/// The most writes one call may buffer. They live in the host's memory,
/// which the sandbox's memory cap does not cover, so they are capped here.
pub(crate) const MAX_WRITES_PER_CALL: usize = 100_000;

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
    permissions: Arc<Permissions>,
    script: String,
    writes: Vec<Write>,
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
    ) -> Self {
        WorldCall {
            world,
            registry,
            permissions,
            script: script.to_string(),
            writes: Vec::new(),
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

    /// Refuses a write once the call has buffered [`MAX_WRITES_PER_CALL`].
    fn check_room(&self, writes: usize) -> Result<(), EcsError> {
        if self.writes.len().saturating_add(writes) > MAX_WRITES_PER_CALL {
            return Err(EcsError::new(
                EcsErrorKind::TooManyWrites,
                format!(
                    "{}: too many writes in one call (at most {MAX_WRITES_PER_CALL})",
                    self.script
                ),
            ));
        }
        Ok(())
    }

    /// Checks a component value sent by the script.
    fn check_value(&self, name: &str, json: &str) -> Result<(), EcsError> {
        self.registry.check_json(name, json).map_err(|detail| {
            EcsError::new(
                EcsErrorKind::BadValue,
                format!("{}: bad value for component {name}: {detail}", self.script),
            )
        })
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
    /// the world and neither a resource's entity nor disabled (bevy keeps
    /// resources on entities; scripts must never reach them).
    fn is_alive(&self, entity: Entity) -> bool {
        if self.despawned.contains(&entity) {
            return false;
        }
        self.spawned.contains(&entity)
            || self
                .world
                .get_entity(entity)
                .is_ok_and(|found| !found.contains::<IsResource>() && !found.contains::<Disabled>())
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
    fn spawn(&mut self, components: Vec<(String, String)>) -> Result<u64, EcsError> {
        if !self.permissions.spawn {
            return Err(self.denied("spawn entities".into()));
        }
        self.check_room(components.len().saturating_add(1))?;
        for (name, json) in &components {
            self.check_write(name)?;
            self.check_value(name, json)?;
        }
        let entity = self.world.entity_allocator().alloc();
        self.spawned.insert(entity);
        self.writes.push(Write::Spawn(entity));
        for (name, json) in components {
            self.buffer(entity, &name, Some(json.into()));
        }
        Ok(entity.to_bits())
    }

    fn despawn(&mut self, bits: u64) -> Result<(), EcsError> {
        if !self.permissions.despawn {
            return Err(self.denied("despawn entities".into()));
        }
        let entity = self.live_entity(bits)?;
        self.check_room(1)?;
        self.despawned.insert(entity);
        self.writes.push(Write::Despawn(entity));
        Ok(())
    }

    fn exists(&mut self, bits: u64) -> bool {
        self.live_entity(bits).is_ok()
    }

    fn get(&mut self, bits: u64, name: &str) -> Result<Option<String>, EcsError> {
        self.check_read(name)?;
        let entity = self.live_entity(bits)?;
        Ok(self.current(entity, name))
    }

    fn insert(&mut self, bits: u64, name: &str, json: String) -> Result<(), EcsError> {
        self.check_write(name)?;
        self.check_value(name, &json)?;
        let entity = self.live_entity(bits)?;
        self.check_room(1)?;
        self.buffer(entity, name, Some(json.into()));
        Ok(())
    }

    fn remove(&mut self, bits: u64, name: &str) -> Result<(), EcsError> {
        self.check_write(name)?;
        let entity = self.live_entity(bits)?;
        self.check_room(1)?;
        self.buffer(entity, name, None);
        Ok(())
    }

    fn has(&mut self, bits: u64, name: &str) -> Result<bool, EcsError> {
        self.check_read(name)?;
        let entity = self.live_entity(bits)?;
        Ok(self.has_now(entity, name))
    }

    fn query(&mut self, with: Vec<String>, without: Vec<String>) -> Result<Vec<u64>, EcsError> {
        for name in with.iter().chain(&without) {
            self.check_read(name)?;
        }
        let mut candidates: BTreeSet<Entity> = self.spawned.clone();
        candidates.extend(self.world.iter_entities().map(|entity| entity.id()));
        let mut found: Vec<Entity> = candidates
            .into_iter()
            .filter(|entity| self.is_alive(*entity))
            .filter(|entity| with.iter().all(|name| self.has_now(*entity, name)))
            .filter(|entity| !without.iter().any(|name| self.has_now(*entity, name)))
            .collect();
        found.sort_by_key(|entity| (entity.index(), entity.generation().to_bits()));
        Ok(found.into_iter().map(Entity::to_bits).collect())
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
