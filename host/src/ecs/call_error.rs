//! What a script's `ecs.*` calls can end in: the refusals it sees as Lua
//! errors.

use std::fmt;

use crate::wasm::budget::HostLimitReached;

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
    /// The script emitted as many events as one tick allows.
    TooManyEvents,
}

/// A refused ECS call; the guest raises `message` as a Lua error after the
/// calling line and the function (`mover.lua:7: ecs.get: ` + `message`).
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
