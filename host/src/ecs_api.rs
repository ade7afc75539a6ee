//! The seam between the engine and the world: what a script's `ecs.*` calls
//! reach. The engine forwards the guest's calls to an [`EcsHost`] attached to
//! the instance for the duration of a call; the world adapter implements it.

use std::any::Any;
use std::fmt;

/// Why an ECS call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcsErrorKind {
    /// Not allowed by the script's permissions (counts as a violation).
    PermissionDenied,
    /// The entity does not exist.
    NoSuchEntity,
    /// No component of that name is registered.
    UnknownComponent,
    /// The value does not fit the component's type.
    BadValue,
    /// No world is attached (the script is loading, or runs outside a tick).
    Unavailable,
    /// The call already buffered the most writes one call may
    /// (spawns, despawns, inserts and removals together).
    TooManyWrites,
}

/// A refused ECS call; the guest raises `message` as a Lua error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcsError {
    /// What kind of refusal.
    pub kind: EcsErrorKind,
    /// The message the script sees.
    pub message: String,
}

impl EcsError {
    /// A refusal of `kind` with `message`.
    pub fn new(kind: EcsErrorKind, message: impl Into<String>) -> Self {
        EcsError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for EcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The world as one call of one script sees it. Entities are
/// `Entity::to_bits`; component values are JSON.
pub(crate) trait EcsHost: Send + Sync + 'static {
    fn spawn(&mut self, components: Vec<(String, String)>) -> Result<u64, EcsError>;
    fn despawn(&mut self, entity: u64) -> Result<(), EcsError>;
    fn exists(&mut self, entity: u64) -> bool;
    fn get(&mut self, entity: u64, component: &str) -> Result<Option<String>, EcsError>;
    fn insert(&mut self, entity: u64, component: &str, value: String) -> Result<(), EcsError>;
    fn remove(&mut self, entity: u64, component: &str) -> Result<(), EcsError>;
    fn has(&mut self, entity: u64, component: &str) -> Result<bool, EcsError>;
    fn query(&mut self, with: Vec<String>, without: Vec<String>) -> Result<Vec<u64>, EcsError>;
    /// Gives the concrete host back when the call is over.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}
