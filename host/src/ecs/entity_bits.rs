//! Entities in serialised reports and logs: as `Entity::to_bits`, the
//! number scripts see (bevy's own `Serialize` needs its `serialize`
//! feature, and writes the same number).

use bevy_ecs::entity::Entity;
use serde::Serializer;

/// Writes `entity` as its bits.
pub(crate) fn serialize<S: Serializer>(entity: &Entity, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(entity.to_bits())
}

/// Writes `entity` as its bits, or none.
pub(crate) fn serialize_option<S: Serializer>(
    entity: &Option<Entity>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match entity {
        Some(entity) => serializer.serialize_some(&entity.to_bits()),
        None => serializer.serialize_none(),
    }
}
