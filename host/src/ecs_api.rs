//! The seam between the engine and the world: what a script's `ecs.*` calls
//! reach. The engine forwards the guest's calls to an [`EcsHost`] attached to
//! the instance for the duration of a call; the world adapter implements it.

use std::any::Any;
use std::fmt;

use crate::budget::{HostLimitReached, HostWork};

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

/// Why a host call into the world did not return a value: a refusal the
/// script sees as a Lua error, or a limit reached by the host's work, which
/// ends the call like a trap.
#[derive(Debug)]
pub(crate) enum CallError {
    Refused(EcsError),
    Limit(HostLimitReached),
}

impl From<EcsError> for CallError {
    fn from(error: EcsError) -> Self {
        CallError::Refused(error)
    }
}

/// The world as one call of one script sees it. Entities are
/// `Entity::to_bits`; component values are JSON. Each call charges what it
/// does beyond the crossing itself to `work`.
pub(crate) trait EcsHost: Send + Sync + 'static {
    fn spawn(
        &mut self,
        components: Vec<(String, String)>,
        work: &mut HostWork,
    ) -> Result<u64, CallError>;
    fn despawn(&mut self, entity: u64, work: &mut HostWork) -> Result<(), CallError>;
    fn exists(&mut self, entity: u64, work: &mut HostWork) -> Result<bool, CallError>;
    fn get(
        &mut self,
        entity: u64,
        component: &str,
        work: &mut HostWork,
    ) -> Result<Option<String>, CallError>;
    fn insert(
        &mut self,
        entity: u64,
        component: &str,
        value: String,
        work: &mut HostWork,
    ) -> Result<(), CallError>;
    fn remove(
        &mut self,
        entity: u64,
        component: &str,
        work: &mut HostWork,
    ) -> Result<(), CallError>;
    fn has(&mut self, entity: u64, component: &str, work: &mut HostWork)
    -> Result<bool, CallError>;
    fn query(
        &mut self,
        with: &[String],
        without: &[String],
        work: &mut HostWork,
    ) -> Result<Vec<u64>, CallError>;
    /// Gives the concrete host back when the call is over.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}
