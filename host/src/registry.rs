//! Component types known to scripts, by name.
//!
//! A registered Rust type crosses as JSON through serde; a value that does not
//! fit is rejected naming the field. Schema-less components (the CLI's scenes)
//! are kept as JSON text in one [`JsonComponents`] component per entity.

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::sync::Arc;

use bevy_ecs::component::{Component, ComponentId, Mutable};
use bevy_ecs::entity::{Entity, EntityMapper};
use bevy_ecs::resource::Resource;
use bevy_ecs::world::{EntityRef, World};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::json_text::JsonText;

/// Schema-less components of one entity, by name, each kept as JSON text.
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct JsonComponents(pub BTreeMap<String, JsonText>);

/// How one named component is read, checked, written and removed.
trait ComponentKind: Send + Sync {
    fn get(&self, entity: EntityRef<'_>) -> Option<Value>;
    fn has(&self, entity: EntityRef<'_>) -> bool;
    /// Checks that `value` fits; the error names the field.
    fn check(&self, value: &Value) -> Result<(), String>;
    fn insert(&self, world: &mut World, entity: Entity, value: Value);
    fn remove(&self, world: &mut World, entity: Entity);
    /// The component as JSON text (the scripts' hot path: no value tree).
    fn get_json(&self, entity: EntityRef<'_>) -> Option<String>;
    /// Checks that the JSON text fits; the error names the field. The
    /// entities the value refers to (as the component declares through
    /// bevy's `map_entities`) are added to `entities`.
    fn check_json(&self, json: &str, entities: &mut Vec<Entity>) -> Result<(), String>;
    /// The component as checked JSON text (for reports: no value tree).
    fn get_text(&self, entity: EntityRef<'_>) -> Option<JsonText>;
    /// Sets the component from JSON text that [`ComponentKind::check_json`] accepted.
    fn insert_json(&self, world: &mut World, entity: Entity, json: &str);
}

/// Deserialises `T` straight from JSON text; the error names the field.
fn from_json<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    let mut text = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut text).map_err(describe_path_error)?;
    text.end().map_err(|error| error.to_string())?;
    Ok(value)
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

    fn get_json(&self, entity: EntityRef<'_>) -> Option<String> {
        entity
            .get::<T>()
            .and_then(|component| serde_json::to_string(component).ok())
    }

    fn check_json(&self, json: &str, entities: &mut Vec<Entity>) -> Result<(), String> {
        let mut value = from_json::<T>(json)?;
        T::map_entities(&mut value, &mut CollectEntities(entities));
        Ok(())
    }

    fn get_text(&self, entity: EntityRef<'_>) -> Option<JsonText> {
        let text = serde_json::to_string(entity.get::<T>()?).ok()?;
        JsonText::parse_text(text).ok()
    }

    fn insert_json(&self, world: &mut World, entity: Entity, json: &str) {
        if let (Ok(component), Ok(mut target)) =
            (from_json::<T>(json), world.get_entity_mut(entity))
        {
            target.insert(component);
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

    fn get_json(&self, entity: EntityRef<'_>) -> Option<String> {
        Some(self.get_text(entity)?.as_str().to_string())
    }

    /// Any single JSON value fits; checked without building a tree.
    fn check_json(&self, json: &str, _entities: &mut Vec<Entity>) -> Result<(), String> {
        from_json::<serde::de::IgnoredAny>(json).map(drop)
    }

    fn get_text(&self, entity: EntityRef<'_>) -> Option<JsonText> {
        entity.get::<JsonComponents>()?.0.get(&self.0).cloned()
    }

    fn insert_json(&self, world: &mut World, entity: Entity, json: &str) {
        if let Ok(text) = JsonText::parse_text(json.to_string()) {
            self.set(world, entity, text);
        }
    }
}

/// The components scripts can name. Keep it in the world as a resource; the
/// script system reads it there.
///
/// ```
/// use bevy_ecs::prelude::*;
/// use luabox::ComponentRegistry;
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
/// assert!(error.contains("missing field `y`"), "{error}");
/// ```
#[derive(Resource, Default, Clone)]
pub struct ComponentRegistry {
    /// Shared, so each script call holds the registry for the price of a
    /// reference count.
    kinds: Arc<HashMap<String, Arc<dyn ComponentKind>>>,
    /// Components that hide the entities carrying them from scripts, beyond
    /// the ones luabox always hides (see [`ComponentRegistry::hide_entities_with`]).
    hiding: Arc<Vec<ComponentIdOf>>,
}

impl ComponentRegistry {
    /// Makes the Rust component `T` available to scripts as `name`.
    pub fn register<T>(&mut self, name: &str) -> &mut Self
    where
        T: Component<Mutability = Mutable> + Serialize + DeserializeOwned,
    {
        Arc::make_mut(&mut self.kinds).insert(name.to_string(), Arc::new(Typed::<T>(PhantomData)));
        self
    }

    /// Makes a schema-less component `name` available: any JSON value fits.
    pub fn register_json(&mut self, name: &str) -> &mut Self {
        Arc::make_mut(&mut self.kinds)
            .insert(name.to_string(), Arc::new(Schemaless(name.to_string())));
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
    /// use luabox::ComponentRegistry;
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

    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.kinds.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.kinds.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Checks that `value` fits the component `name`.
    ///
    /// # Errors
    /// What does not fit, naming the field; or that `name` is unknown.
    pub fn check(&self, name: &str, value: &Value) -> Result<(), String> {
        match self.kinds.get(name) {
            Some(kind) => kind.check(value),
            None => Err(format!("no component named `{name}` is registered")),
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

    /// [`ComponentRegistry::get`] as JSON text.
    pub(crate) fn get_json(&self, world: &World, entity: Entity, name: &str) -> Option<String> {
        let kind = self.kinds.get(name)?;
        kind.get_json(world.get_entity(entity).ok()?)
    }

    /// [`ComponentRegistry::check`] for JSON text; the entities the value
    /// refers to are added to `entities`.
    pub(crate) fn check_json(
        &self,
        name: &str,
        json: &str,
        entities: &mut Vec<Entity>,
    ) -> Result<(), String> {
        match self.kinds.get(name) {
            Some(kind) => kind.check_json(json, entities),
            None => Err(format!("no component named `{name}` is registered")),
        }
    }

    /// Every registered component of `entity`, by name, as JSON text.
    pub(crate) fn texts_of(&self, world: &World, entity: Entity) -> BTreeMap<String, JsonText> {
        let Ok(entity) = world.get_entity(entity) else {
            return BTreeMap::new();
        };
        self.kinds
            .iter()
            .filter_map(|(name, kind)| Some((name.clone(), kind.get_text(entity)?)))
            .collect()
    }

    /// [`ComponentRegistry::insert`] from JSON text.
    pub(crate) fn insert_json(&self, world: &mut World, entity: Entity, name: &str, json: &str) {
        if let Some(kind) = self.kinds.get(name) {
            kind.insert_json(world, entity, json);
        }
    }

    /// Removes the component `name` from `entity`, if it has it.
    pub fn remove(&self, world: &mut World, entity: Entity, name: &str) {
        if let Some(kind) = self.kinds.get(name) {
            kind.remove(world, entity);
        }
    }
}
