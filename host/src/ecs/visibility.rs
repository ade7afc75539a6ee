//! Which entities of a bevy `World` scripts may see.
//!
//! bevy keeps more than game objects on entities: resources, observers and
//! registered one-shot systems live there too, and a disabling component
//! (bevy's `Disabled`, or any the app registers in `DefaultQueryFilters`)
//! takes an entity out of the game. Scripts see none of them. The rule:
//!
//! > An entity is visible to scripts when it exists and carries none of
//! > `IsResource`, `Observer`, `SystemIdMarker`, any disabling component of the
//! > world's `DefaultQueryFilters`, and any component the engine hid with
//! > [`ComponentRegistry::hide_entities_with`].
//!
//! Every path a script has into the world goes through it: `query`,
//! `exists`, `get`, `has`, `insert`, `remove`, `despawn`, the entities named
//! inside component values (a value a script writes may not name a hidden
//! entity; a value it reads names `Entity::PLACEHOLDER` in its place), and
//! the world in scene reports. A despawn that
//! would cascade (through `Children`, or any other relationship that
//! despawns its targets) into an entity scripts cannot see is refused.

use bevy_ecs::component::ComponentId;
use bevy_ecs::entity::Entity;
use bevy_ecs::entity_disabling::DefaultQueryFilters;
use bevy_ecs::hierarchy::Children;
use bevy_ecs::observer::Observer;
use bevy_ecs::relationship::RelationshipAccessor;
use bevy_ecs::resource::IsResource;
use bevy_ecs::system::SystemIdMarker;
use bevy_ecs::world::{EntityRef, World};

use crate::ecs::registry::ComponentRegistry;

/// The visibility rule, resolved against one world.
#[derive(Clone, Debug, Default)]
pub(crate) struct Visibility {
    /// Components whose presence hides an entity.
    hidden: Vec<ComponentId>,
}

/// Why a despawn may not go ahead.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CascadeRefusal {
    /// It would despawn this entity, which scripts cannot see.
    Hidden(Entity),
    /// The entity holds a relationship that despawns its targets, other than
    /// `Children`, which scripts cannot follow.
    Opaque,
}

impl Visibility {
    /// The rule for `world`, with the engine's extra hidden components from
    /// `registry`.
    pub(crate) fn of(world: &World, registry: &ComponentRegistry) -> Self {
        let mut hidden: Vec<ComponentId> = [
            world.component_id::<IsResource>(),
            world.component_id::<Observer>(),
            world.component_id::<SystemIdMarker>(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let Some(filters) = world.get_resource::<DefaultQueryFilters>() {
            hidden.extend(filters.disabling_ids());
        }
        hidden.extend(registry.hidden_components(world));
        hidden.sort_unstable();
        hidden.dedup();
        Visibility { hidden }
    }

    /// Whether scripts may see this entity.
    pub(crate) fn sees(&self, entity: EntityRef<'_>) -> bool {
        let archetype = entity.archetype();
        !self.hidden.iter().any(|id| archetype.contains(*id))
    }

    /// Whether scripts may see the entity `entity` of `world` (false when it
    /// does not exist).
    pub(crate) fn sees_in(&self, world: &World, entity: Entity) -> bool {
        world.get_entity(entity).is_ok_and(|found| self.sees(found))
    }

    /// Every visible entity of `world`, archetype by archetype (unsorted).
    pub(crate) fn visible_entities<'w>(
        &'w self,
        world: &'w World,
    ) -> impl Iterator<Item = Entity> + 'w {
        world
            .archetypes()
            .iter()
            .filter(|archetype| !self.hidden.iter().any(|id| archetype.contains(*id)))
            .flat_map(|archetype| archetype.entities().iter().map(|entity| entity.id()))
    }

    /// Checks that despawning `entity` would only despawn entities scripts
    /// can see: its `Children`, theirs, and so on. `visit` is called for each
    /// entity looked at (to charge the work) and may stop the walk.
    pub(crate) fn check_cascade<E>(
        &self,
        world: &World,
        entity: Entity,
        visit: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<Result<(), CascadeRefusal>, E> {
        let children = world.component_id::<Children>();
        let mut stack = vec![entity];
        while let Some(next) = stack.pop() {
            visit()?;
            let Ok(found) = world.get_entity(next) else {
                continue;
            };
            if !self.sees(found) {
                return Ok(Err(CascadeRefusal::Hidden(next)));
            }
            let opaque = found.archetype().components().iter().any(|id| {
                Some(*id) != children
                    && world
                        .components()
                        .get_info(*id)
                        .and_then(|info| info.relationship_accessor())
                        .is_some_and(|accessor| {
                            matches!(
                                accessor,
                                RelationshipAccessor::RelationshipTarget {
                                    linked_spawn: true,
                                    ..
                                }
                            )
                        })
            });
            if opaque {
                return Ok(Err(CascadeRefusal::Opaque));
            }
            if let Some(children) = found.get::<Children>() {
                stack.extend(children.iter());
            }
        }
        Ok(Ok(()))
    }
}
