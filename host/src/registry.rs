//! Component types known to scripts, by name.
//!
//! A registered Rust type crosses as JSON through serde; a value that does not
//! fit is rejected naming the field. Schema-less components (the CLI's scenes)
//! are kept as JSON in one [`JsonComponents`] component per entity.

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::sync::Arc;

use bevy_ecs::component::{Component, Mutable};
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use bevy_ecs::world::{EntityRef, World};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Schema-less components of one entity, by name.
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct JsonComponents(pub BTreeMap<String, Value>);

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
    /// Checks that the JSON text fits; the error names the field.
    fn check_json(&self, json: &str) -> Result<(), String>;
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

    fn check_json(&self, json: &str) -> Result<(), String> {
        from_json::<T>(json).map(drop)
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

struct Schemaless(String);

impl ComponentKind for Schemaless {
    fn get(&self, entity: EntityRef<'_>) -> Option<Value> {
        entity.get::<JsonComponents>()?.0.get(&self.0).cloned()
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
        if let Ok(mut target) = world.get_entity_mut(entity) {
            match target.get_mut::<JsonComponents>() {
                Some(mut components) => {
                    components.0.insert(self.0.clone(), value);
                }
                None => {
                    target.insert(JsonComponents(BTreeMap::from([(self.0.clone(), value)])));
                }
            }
        }
    }

    fn remove(&self, world: &mut World, entity: Entity) {
        if let Ok(mut target) = world.get_entity_mut(entity)
            && let Some(mut components) = target.get_mut::<JsonComponents>()
        {
            components.0.remove(&self.0);
        }
    }

    fn get_json(&self, entity: EntityRef<'_>) -> Option<String> {
        self.get(entity).map(|value| value.to_string())
    }

    fn check_json(&self, json: &str) -> Result<(), String> {
        from_json::<Value>(json).map(drop)
    }

    fn insert_json(&self, world: &mut World, entity: Entity, json: &str) {
        if let Ok(value) = from_json::<Value>(json) {
            self.insert(world, entity, value);
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

    /// [`ComponentRegistry::check`] for JSON text.
    pub(crate) fn check_json(&self, name: &str, json: &str) -> Result<(), String> {
        match self.kinds.get(name) {
            Some(kind) => kind.check_json(json),
            None => Err(format!("no component named `{name}` is registered")),
        }
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
