//! Component types known to scripts, by name.
//!
//! A registered Rust type crosses as MessagePack through serde, decoded
//! straight into the type; a value that does not fit is rejected naming the
//! field. Schema-less components (the CLI's scenes) are kept as JSON text in
//! one [`JsonComponents`] component per entity.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bevy_ecs::component::{Component, ComponentId, Mutable};
use bevy_ecs::entity::{Entity, EntityMapper};
use bevy_ecs::resource::Resource;
use bevy_ecs::world::{EntityRef, World};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::sandbox::json_text::JsonText;
use crate::wasm::msgpack::{self, ToJsonError};

/// Schema-less components of one entity, by name, each kept as JSON text.
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct JsonComponents(pub BTreeMap<String, JsonText>);

/// A component value decoded from what a script sent, ready to insert,
/// with the bytes it holds on the host.
pub(crate) struct Decoded {
    value: Box<dyn Any + Send + Sync>,
    stored_bytes: usize,
}

impl Decoded {
    /// The bytes the value holds once stored: a schema-less value's JSON
    /// text; a typed value counts as its MessagePack (what it is in memory
    /// is the engine's type's to say).
    pub(crate) fn stored_bytes(&self) -> usize {
        self.stored_bytes
    }
}

/// Why a value a script sent was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// It does not fit the component; the message names the field.
    Bad(String),
    /// Stored, it would hold more than the bytes the call has left (its
    /// decoding stopped there).
    TooLarge,
}

/// The most bytes of JSON a schema-less value may become (besides the
/// call's write budget, which is usually smaller).
const MAX_SCHEMALESS_JSON: usize = 64 << 20;

/// How one named component is read, checked, written and removed.
trait ComponentKind: Send + Sync {
    fn get(&self, entity: EntityRef<'_>) -> Option<Value>;
    fn has(&self, entity: EntityRef<'_>) -> bool;
    /// Checks that `value` fits; the error names the field.
    fn check(&self, value: &Value) -> Result<(), String>;
    fn insert(&self, world: &mut World, entity: Entity, value: Value);
    fn remove(&self, world: &mut World, entity: Entity);
    /// The component as checked JSON text (for reports: no value tree).
    fn get_text(&self, entity: EntityRef<'_>) -> Option<JsonText>;
    /// Appends the component as MessagePack, every entity it refers to for
    /// which `hidden` holds replaced by `Entity::PLACEHOLDER`; false when
    /// the entity lacks it.
    fn encode(
        &self,
        entity: EntityRef<'_>,
        out: &mut Vec<u8>,
        hidden: &dyn Fn(Entity) -> bool,
    ) -> bool;
    /// Decodes a value a script sent, which may hold at most `max_stored`
    /// bytes once stored; the error names the field. The entities the value
    /// refers to (as the component declares through bevy's `map_entities`)
    /// are added to `entities`.
    fn decode(
        &self,
        bytes: &[u8],
        entities: &mut Vec<Entity>,
        max_stored: usize,
    ) -> Result<Decoded, DecodeError>;
    /// Sets the component to a value [`ComponentKind::decode`] made.
    fn insert_decoded(&self, world: &mut World, entity: Entity, value: Box<dyn Any + Send + Sync>);
}

struct Typed<T>(PhantomData<fn() -> T>);

impl<T> ComponentKind for Typed<T>
where
    T: Component<Mutability = Mutable> + Serialize + DeserializeOwned,
{
    fn get(&self, entity: EntityRef<'_>) -> Option<Value> {
        entity
            .get::<T>()
            .and_then(|component| serde_json::to_value(component).ok())
    }

    fn has(&self, entity: EntityRef<'_>) -> bool {
        entity.contains::<T>()
    }

    fn check(&self, value: &Value) -> Result<(), String> {
        serde_path_to_error::deserialize::<_, T>(value)
            .map(drop)
            .map_err(describe_path_error)
    }

    fn insert(&self, world: &mut World, entity: Entity, value: Value) {
        if let (Ok(component), Ok(mut target)) = (
            serde_json::from_value::<T>(value),
            world.get_entity_mut(entity),
        ) {
            target.insert(component);
        }
    }

    fn remove(&self, world: &mut World, entity: Entity) {
        if let Ok(mut target) = world.get_entity_mut(entity) {
            target.remove::<T>();
        }
    }

    fn get_text(&self, entity: EntityRef<'_>) -> Option<JsonText> {
        let text = serde_json::to_string(entity.get::<T>()?).ok()?;
        JsonText::parse_text(text).ok()
    }

    fn encode(
        &self,
        entity: EntityRef<'_>,
        out: &mut Vec<u8>,
        hidden: &dyn Fn(Entity) -> bool,
    ) -> bool {
        let Some(component) = entity.get::<T>() else {
            return false;
        };
        let start = out.len();
        if msgpack::encode(component, out).is_err() {
            out.truncate(start);
            return false;
        }
        // An entity crosses as its bits, an integer. Only when one of the
        // value's integers names a hidden entity is the value decoded again
        // to find which of them are entities (bevy's `map_entities`) and
        // hide those.
        let names_hidden = |bits| Entity::try_from_bits(bits).is_some_and(hidden);
        if !msgpack::any_integer(&out[start..], names_hidden) {
            return true;
        }
        let Ok(mut value) = msgpack::decode::<T>(&out[start..]) else {
            // A value that does not read back cannot be checked: it is not
            // sent (as if absent) rather than sent with what it may name.
            out.truncate(start);
            return false;
        };
        let mut mapper = HideEntities { hidden, hid: false };
        T::map_entities(&mut value, &mut mapper);
        if mapper.hid {
            out.truncate(start);
            if msgpack::encode(&value, out).is_err() {
                out.truncate(start);
                return false;
            }
        }
        true
    }

    fn decode(
        &self,
        bytes: &[u8],
        entities: &mut Vec<Entity>,
        _max_stored: usize,
    ) -> Result<Decoded, DecodeError> {
        let mut value = msgpack::decode::<T>(bytes).map_err(DecodeError::Bad)?;
        T::map_entities(&mut value, &mut CollectEntities(entities));
        Ok(Decoded {
            value: Box::new(value),
            stored_bytes: bytes.len(),
        })
    }

    fn insert_decoded(&self, world: &mut World, entity: Entity, value: Box<dyn Any + Send + Sync>) {
        if let (Ok(component), Ok(mut target)) =
            (value.downcast::<T>(), world.get_entity_mut(entity))
        {
            target.insert(*component);
        }
    }
}

fn describe_path_error(error: serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = error.path().to_string();
    if path == "." {
        error.into_inner().to_string()
    } else {
        format!("field `{path}`: {}", error.into_inner())
    }
}

/// Finds a component type's id in a world (if the world knows the type).
type ComponentIdOf = fn(&World) -> Option<ComponentId>;

/// Replaces the entities a component value refers to that scripts may not
/// see by `Entity::PLACEHOLDER` (which names no entity).
struct HideEntities<'a> {
    hidden: &'a dyn Fn(Entity) -> bool,
    hid: bool,
}

impl EntityMapper for HideEntities<'_> {
    fn get_mapped(&mut self, source: Entity) -> Entity {
        if (self.hidden)(source) {
            self.hid = true;
            Entity::PLACEHOLDER
        } else {
            source
        }
    }

    fn set_mapped(&mut self, _source: Entity, _target: Entity) {}
}

/// Records the entities a component value refers to.
struct CollectEntities<'a>(&'a mut Vec<Entity>);

impl EntityMapper for CollectEntities<'_> {
    fn get_mapped(&mut self, source: Entity) -> Entity {
        self.0.push(source);
        source
    }

    fn set_mapped(&mut self, _source: Entity, _target: Entity) {}
}

struct Schemaless(String);

impl Schemaless {
    fn set(&self, world: &mut World, entity: Entity, text: JsonText) {
        if let Ok(mut target) = world.get_entity_mut(entity) {
            match target.get_mut::<JsonComponents>() {
                Some(mut components) => {
                    components.0.insert(self.0.clone(), text);
                }
                None => {
                    target.insert(JsonComponents(BTreeMap::from([(self.0.clone(), text)])));
                }
            }
        }
    }
}

impl ComponentKind for Schemaless {
    fn get(&self, entity: EntityRef<'_>) -> Option<Value> {
        Some(self.get_text(entity)?.to_value())
    }

    fn has(&self, entity: EntityRef<'_>) -> bool {
        entity
            .get::<JsonComponents>()
            .is_some_and(|components| components.0.contains_key(&self.0))
    }

    fn check(&self, _value: &Value) -> Result<(), String> {
        Ok(())
    }

    fn insert(&self, world: &mut World, entity: Entity, value: Value) {
        self.set(world, entity, JsonText::from_value(&value));
    }

    fn remove(&self, world: &mut World, entity: Entity) {
        if let Ok(mut target) = world.get_entity_mut(entity)
            && let Some(mut components) = target.get_mut::<JsonComponents>()
        {
            components.0.remove(&self.0);
        }
    }

    fn get_text(&self, entity: EntityRef<'_>) -> Option<JsonText> {
        entity.get::<JsonComponents>()?.0.get(&self.0).cloned()
    }

    /// JSON holds numbers, not entities: nothing to hide.
    fn encode(
        &self,
        entity: EntityRef<'_>,
        out: &mut Vec<u8>,
        _hidden: &dyn Fn(Entity) -> bool,
    ) -> bool {
        self.get_text(entity)
            .is_some_and(|text| msgpack::from_json(&text, out).is_ok())
    }

    /// Any single value with string or integer map keys fits; kept as JSON,
    /// which is made only up to `max_stored` bytes.
    fn decode(
        &self,
        bytes: &[u8],
        _entities: &mut Vec<Entity>,
        max_stored: usize,
    ) -> Result<Decoded, DecodeError> {
        let text = match msgpack::to_json(bytes, max_stored.min(MAX_SCHEMALESS_JSON)) {
            Ok(text) => text,
            Err(ToJsonError::TooLarge { max_bytes }) if max_bytes < MAX_SCHEMALESS_JSON => {
                return Err(DecodeError::TooLarge);
            }
            Err(error) => return Err(DecodeError::Bad(error.to_string())),
        };
        Ok(Decoded {
            stored_bytes: text.as_str().len(),
            value: Box::new(text),
        })
    }

    fn insert_decoded(&self, world: &mut World, entity: Entity, value: Box<dyn Any + Send + Sync>) {
        if let Ok(text) = value.downcast::<JsonText>() {
            self.set(world, entity, *text);
        }
    }
}

/// The registered kinds, in registration order (a kind's index never
/// changes once given; registering a name again replaces its kind in place).
#[derive(Default, Clone)]
struct Kinds {
    list: Vec<(String, Arc<dyn ComponentKind>)>,
    index: HashMap<String, usize>,
}

impl Kinds {
    fn set(&mut self, name: &str, kind: Arc<dyn ComponentKind>) {
        match self.index.get(name) {
            Some(&at) => self.list[at].1 = kind,
            None => {
                self.index.insert(name.to_string(), self.list.len());
                self.list.push((name.to_string(), kind));
            }
        }
    }

    fn get(&self, name: &str) -> Option<&dyn ComponentKind> {
        self.index.get(name).map(|&at| &*self.list[at].1)
    }
}

/// A registered component as one script call uses it: its index in the
/// registry the call was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct KindIndex(usize);

/// Why a value does not fit a component ([`ComponentRegistry::check`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ComponentError {
    /// No component of that name is registered.
    #[error("no component named `{component}` is registered")]
    Unknown {
        /// The name asked for.
        component: String,
    },
    /// The value does not fit the component's type.
    #[error("{component}: {message}")]
    DoesNotFit {
        /// The component.
        component: String,
        /// What does not fit, naming the field (e.g. ``missing field `y` ``).
        message: String,
    },
}

/// The components scripts can name. Keep it in the world as a resource; the
/// script system reads it there.
///
/// ```
/// use bevy_ecs::prelude::*;
/// use luabox::ecs::ComponentRegistry;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Component, Serialize, Deserialize)]
/// struct Position { x: f32, y: f32 }
///
/// let mut registry = ComponentRegistry::default();
/// registry.register::<Position>("Position");
/// registry.register_json("Label");
/// assert!(registry.contains("Position") && registry.contains("Label"));
/// let error = registry.check("Position", &serde_json::json!({"x": 1})).unwrap_err();
/// assert!(error.to_string().contains("missing field `y`"), "{error}");
/// ```
#[derive(Resource, Clone)]
pub struct ComponentRegistry {
    /// Shared, so each script call holds the registry for the price of a
    /// reference count; a change makes a new one.
    kinds: Arc<Kinds>,
    /// Which set of registrations this is (see
    /// [`ComponentRegistry::generation`]).
    generation: u64,
    /// Components that hide the entities carrying them from scripts, beyond
    /// the ones luabox always hides (see [`ComponentRegistry::hide_entities_with`]).
    hiding: Arc<Vec<ComponentIdOf>>,
}

/// Numbers each set of registrations for the life of the process, as
/// bevy's `WorldId` numbers worlds: the only state is the next number, and
/// no two registries (or versions of one) ever share one. An address would
/// not do: a freed registry's address comes back for the next one, and
/// `Arc::make_mut` changes one in place.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

impl Default for ComponentRegistry {
    fn default() -> Self {
        ComponentRegistry {
            kinds: Arc::default(),
            generation: next_generation(),
            hiding: Arc::default(),
        }
    }
}

impl ComponentRegistry {
    /// Makes the Rust component `T` available to scripts as `name`.
    pub fn register<T>(&mut self, name: &str) -> &mut Self
    where
        T: Component<Mutability = Mutable> + Serialize + DeserializeOwned,
    {
        Arc::make_mut(&mut self.kinds).set(name, Arc::new(Typed::<T>(PhantomData)));
        self.generation = next_generation();
        self
    }

    /// Makes a schema-less component `name` available: any JSON value fits.
    pub fn register_json(&mut self, name: &str) -> &mut Self {
        Arc::make_mut(&mut self.kinds).set(name, Arc::new(Schemaless(name.to_string())));
        self.generation = next_generation();
        self
    }

    /// Hides every entity carrying the component `T` from scripts: no
    /// query lists it, and every other call treats it as nonexistent. luabox
    /// always hides resources, observers, registered systems and entities
    /// with a disabling component (bevy's `Disabled` and any other in the
    /// world's `DefaultQueryFilters`); this adds the engine's own markers.
    ///
    /// ```
    /// use bevy_ecs::prelude::*;
    /// use luabox::ecs::ComponentRegistry;
    ///
    /// #[derive(Component)]
    /// struct EditorOnly;
    ///
    /// let mut registry = ComponentRegistry::default();
    /// registry.hide_entities_with::<EditorOnly>();
    /// ```
    pub fn hide_entities_with<T: Component>(&mut self) -> &mut Self {
        Arc::make_mut(&mut self.hiding).push(|world| world.component_id::<T>());
        self
    }

    /// The ids of the components hidden with [`ComponentRegistry::hide_entities_with`]
    /// that `world` knows.
    pub(crate) fn hidden_components<'w>(
        &'w self,
        world: &'w World,
    ) -> impl Iterator<Item = ComponentId> + 'w {
        self.hiding.iter().filter_map(|resolve| resolve(world))
    }

    /// Identifies this set of registrations: equal for clones, different
    /// for any other registry and after any change, for the life of the
    /// process. A [`KindIndex`] is valid for one generation.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.kinds.index.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.kinds.index.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Checks that `value` fits the component `name`.
    ///
    /// # Errors
    /// [`ComponentError::Unknown`] for a name not registered;
    /// [`ComponentError::DoesNotFit`] naming the field that does not fit.
    pub fn check(&self, name: &str, value: &Value) -> Result<(), ComponentError> {
        match self.kinds.get(name) {
            Some(kind) => kind
                .check(value)
                .map_err(|message| ComponentError::DoesNotFit {
                    component: name.to_string(),
                    message,
                }),
            None => Err(ComponentError::Unknown {
                component: name.to_string(),
            }),
        }
    }

    /// The component `name` of `entity`, as JSON.
    pub fn get(&self, world: &World, entity: Entity, name: &str) -> Option<Value> {
        let kind = self.kinds.get(name)?;
        kind.get(world.get_entity(entity).ok()?)
    }

    /// Whether `entity` has the component `name`.
    pub fn has(&self, world: &World, entity: Entity, name: &str) -> bool {
        match (self.kinds.get(name), world.get_entity(entity)) {
            (Some(kind), Ok(entity)) => kind.has(entity),
            _ => false,
        }
    }

    /// Every registered component of `entity`, by name.
    pub fn components_of(&self, world: &World, entity: Entity) -> BTreeMap<String, Value> {
        let Ok(entity) = world.get_entity(entity) else {
            return BTreeMap::new();
        };
        self.kinds
            .list
            .iter()
            .filter_map(|(name, kind)| Some((name.clone(), kind.get(entity)?)))
            .collect()
    }

    /// Sets the component `name` of `entity` (add or replace). A value that
    /// does not fit (see [`ComponentRegistry::check`]) is ignored.
    pub fn insert(&self, world: &mut World, entity: Entity, name: &str, value: Value) {
        if let Some(kind) = self.kinds.get(name) {
            kind.insert(world, entity, value);
        }
    }

    /// Removes the component `name` from `entity`, if it has it.
    pub fn remove(&self, world: &mut World, entity: Entity, name: &str) {
        if let Some(kind) = self.kinds.get(name) {
            kind.remove(world, entity);
        }
    }

    /// Every registered component of `entity`, by name, as JSON text.
    pub(crate) fn texts_of(&self, world: &World, entity: Entity) -> BTreeMap<String, JsonText> {
        let Ok(entity) = world.get_entity(entity) else {
            return BTreeMap::new();
        };
        self.kinds
            .list
            .iter()
            .filter_map(|(name, kind)| Some((name.clone(), kind.get_text(entity)?)))
            .collect()
    }

    /// The index of the component `name`, if registered.
    pub(crate) fn index_of(&self, name: &str) -> Option<KindIndex> {
        self.kinds.index.get(name).copied().map(KindIndex)
    }

    /// The name of the component at `index`.
    pub(crate) fn name(&self, index: KindIndex) -> &str {
        self.kinds
            .list
            .get(index.0)
            .map_or("", |(name, _)| name.as_str())
    }

    fn kind(&self, index: KindIndex) -> Option<&dyn ComponentKind> {
        self.kinds.list.get(index.0).map(|(_, kind)| &**kind)
    }

    /// Whether `entity` has the component at `index`.
    pub(crate) fn has_at(&self, entity: EntityRef<'_>, index: KindIndex) -> bool {
        self.kind(index).is_some_and(|kind| kind.has(entity))
    }

    /// Appends the component at `index` of `entity` as MessagePack, the
    /// entities it refers to for which `hidden` holds replaced by
    /// `Entity::PLACEHOLDER`; false when the entity lacks it.
    pub(crate) fn encode_at(
        &self,
        entity: EntityRef<'_>,
        index: KindIndex,
        out: &mut Vec<u8>,
        hidden: &dyn Fn(Entity) -> bool,
    ) -> bool {
        self.kind(index)
            .is_some_and(|kind| kind.encode(entity, out, hidden))
    }

    /// Decodes a value a script sent for the component at `index`, which
    /// may hold at most `max_stored` bytes once stored; the entities it
    /// refers to are added to `entities`.
    pub(crate) fn decode_at(
        &self,
        index: KindIndex,
        bytes: &[u8],
        entities: &mut Vec<Entity>,
        max_stored: usize,
    ) -> Result<Decoded, DecodeError> {
        match self.kind(index) {
            Some(kind) => kind.decode(bytes, entities, max_stored),
            None => Err(DecodeError::Bad("no such component".into())),
        }
    }

    /// Sets the component at `index` to a decoded value.
    pub(crate) fn insert_at(
        &self,
        world: &mut World,
        entity: Entity,
        index: KindIndex,
        value: Decoded,
    ) {
        if let Some(kind) = self.kind(index) {
            kind.insert_decoded(world, entity, value.value);
        }
    }

    /// Removes the component at `index` from `entity`, if it has it.
    pub(crate) fn remove_at(&self, world: &mut World, entity: Entity, index: KindIndex) {
        if let Some(kind) = self.kind(index) {
            kind.remove(world, entity);
        }
    }
}
