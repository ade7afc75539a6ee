//! What one script may do to the world.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// A script's permissions, checked on every host call. The default grants
/// only the console.
///
/// ```
/// use luabox::ecs::Permissions;
///
/// let mover = Permissions::default()
///     .read(["Position", "Velocity"])
///     .write(["Position"]);
/// assert!(mover.may_read("Velocity"));
/// assert!(!mover.may_write("Velocity"));
/// assert!(!mover.spawn && !mover.despawn && mover.console);
///
/// let door = Permissions::default().emit(["opened"]).receive(["unlock"]);
/// assert!(door.may_emit("opened") && door.may_receive("unlock"));
/// assert!(!door.may_receive("opened"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Permissions {
    /// Components the script may read (`get`, `has`, `query`). Default: none.
    pub read: BTreeSet<String>,
    /// Components the script may write (`insert`, `remove`, and the
    /// components of a `spawn`). Default: none.
    pub write: BTreeSet<String>,
    /// Whether the script may spawn entities. Default: `false`.
    pub spawn: bool,
    /// Whether the script may despawn entities. Default: `false`.
    pub despawn: bool,
    /// Whether the script may write to the console. Default: `true`.
    pub console: bool,
    /// Events the script may emit (`ecs.emit`). Default: none.
    pub emit: BTreeSet<String>,
    /// Events the script receives in `on_event`, from scripts and from the
    /// engine alike. Default: none.
    pub receive: BTreeSet<String>,
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions {
            read: BTreeSet::new(),
            write: BTreeSet::new(),
            spawn: false,
            despawn: false,
            console: true,
            emit: BTreeSet::new(),
            receive: BTreeSet::new(),
        }
    }
}

impl Permissions {
    /// Adds components the script may read.
    pub fn read<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.read.extend(names.into_iter().map(Into::into));
        self
    }

    /// Adds components the script may write.
    pub fn write<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.write.extend(names.into_iter().map(Into::into));
        self
    }

    /// Adds events the script may emit.
    pub fn emit<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.emit.extend(names.into_iter().map(Into::into));
        self
    }

    /// Adds events the script receives.
    pub fn receive<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.receive.extend(names.into_iter().map(Into::into));
        self
    }

    /// Allows spawning and despawning entities.
    pub fn spawn_and_despawn(mut self) -> Self {
        self.spawn = true;
        self.despawn = true;
        self
    }

    /// The components these permissions name (to read or to write).
    pub(crate) fn components(&self) -> impl Iterator<Item = &String> {
        self.read.iter().chain(&self.write)
    }

    /// Whether the component `name` may be read.
    pub fn may_read(&self, name: &str) -> bool {
        self.read.contains(name)
    }

    /// Whether the component `name` may be written.
    pub fn may_write(&self, name: &str) -> bool {
        self.write.contains(name)
    }

    /// Whether the event `name` may be emitted.
    pub fn may_emit(&self, name: &str) -> bool {
        self.emit.contains(name)
    }

    /// Whether the event `name` reaches the script.
    pub fn may_receive(&self, name: &str) -> bool {
        self.receive.contains(name)
    }
}
