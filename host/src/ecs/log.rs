//! The world's console: what every script in a world printed, a bounded
//! bevy resource ([`ScriptConsole`]).

use bevy_ecs::entity::Entity;

use crate::sandbox::console::{ConsoleLevel, ConsoleMessage};

/// One console message in the world's [`ScriptConsole`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogEntry {
    /// The script's name.
    pub script: String,
    /// The entity the script is attached to, if any (in JSON, its
    /// `Entity::to_bits`).
    #[serde(serialize_with = "crate::ecs::entity_bits::serialize_option")]
    pub entity: Option<Entity>,
    /// The message's level.
    pub level: ConsoleLevel,
    /// The text.
    pub text: String,
    /// The tick it was written in.
    pub tick: u64,
}

/// What the world's console counts for each message on top of its text and
/// script name: the entry itself and its share of the bookkeeping.
const ENTRY_OVERHEAD_BYTES: usize = 96;

/// The bytes a message holds in the world's console.
fn entry_bytes(entry: &LogEntry) -> usize {
    entry
        .text
        .len()
        .saturating_add(entry.script.len())
        .saturating_add(ENTRY_OVERHEAD_BYTES)
}

/// What one script holds in the world's console.
#[derive(Clone, Copy, Debug, Default)]
struct Held {
    messages: usize,
    bytes: usize,
}

/// The scripts' console, a bevy resource: a bounded ring buffer, bounded in
/// messages and in bytes. When it is full the oldest messages go; a script
/// past its quota (of messages, or of its share of the bytes) loses its new
/// ones. Both are counted in [`ScriptConsole::dropped`].
///
/// ```
/// use luabox::ConsoleLevel;
/// use luabox::ecs::{LogEntry, ScriptConsole};
///
/// let mut console = ScriptConsole::new(3, 2);
/// for i in 0..3 {
///     console.push(LogEntry { script: "a.lua".into(), entity: None, level: ConsoleLevel::Info, text: i.to_string(), tick: 1 });
/// }
/// assert_eq!(console.messages().count(), 2); // a.lua's quota is 2
/// assert_eq!(console.dropped(), 1);
/// ```
#[derive(bevy_ecs::resource::Resource, Debug)]
pub struct ScriptConsole {
    messages: std::collections::VecDeque<LogEntry>,
    /// What each script holds (name and entity: two instances of one script
    /// file are two scripts).
    held: std::collections::HashMap<(String, Option<Entity>), Held>,
    capacity: usize,
    per_script: usize,
    max_bytes: usize,
    bytes: usize,
    dropped: u64,
}

impl Default for ScriptConsole {
    /// 1,000 messages and 16 MiB in all; 100 messages and a tenth of the
    /// bytes per script.
    fn default() -> Self {
        ScriptConsole::new(1_000, 100)
    }
}

impl ScriptConsole {
    /// The bytes a console holds at most unless
    /// [`ScriptConsole::with_max_bytes`] says otherwise: 16 MiB (a script's
    /// tenth of it, 1.6 MiB, holds a call's whole default output).
    pub const DEFAULT_MAX_BYTES: usize = 16 << 20;

    /// A console holding at most `capacity` messages, `per_script` of them
    /// from any one script, and [`ScriptConsole::DEFAULT_MAX_BYTES`].
    pub fn new(capacity: usize, per_script: usize) -> Self {
        ScriptConsole {
            messages: std::collections::VecDeque::new(),
            held: std::collections::HashMap::new(),
            capacity,
            per_script,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            bytes: 0,
            dropped: 0,
        }
    }

    /// Sets the most bytes the console holds (text, script names and about
    /// 100 bytes of bookkeeping per message). A script may hold
    /// `per_script / capacity` of them.
    ///
    /// ```
    /// use luabox::ConsoleLevel;
    /// use luabox::ecs::{LogEntry, ScriptConsole};
    ///
    /// let mut console = ScriptConsole::new(10, 10).with_max_bytes(1_000);
    /// let big = "x".repeat(2_000);
    /// console.push(LogEntry { script: "a.lua".into(), entity: None, level: ConsoleLevel::Info, text: big, tick: 1 });
    /// assert_eq!((console.messages().count(), console.dropped()), (0, 1));
    /// ```
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The bytes one script may hold.
    fn bytes_per_script(&self) -> usize {
        let share = self.max_bytes as u128 * self.per_script as u128 / self.capacity.max(1) as u128;
        usize::try_from(share)
            .unwrap_or(usize::MAX)
            .min(self.max_bytes)
    }

    /// Adds a message, dropping it or the oldest as the caps require.
    pub fn push(&mut self, entry: LogEntry) {
        let key = (entry.script.clone(), entry.entity);
        let size = entry_bytes(&entry);
        let held = self.held.get(&key).copied().unwrap_or_default();
        if held.messages >= self.per_script
            || held.bytes.saturating_add(size) > self.bytes_per_script()
            || self.capacity == 0
        {
            self.dropped += 1;
            return;
        }
        while self.messages.len() >= self.capacity
            || self.bytes.saturating_add(size) > self.max_bytes
        {
            let Some(oldest) = self.messages.pop_front() else {
                break;
            };
            let freed = entry_bytes(&oldest);
            self.bytes = self.bytes.saturating_sub(freed);
            if let Some(count) = self.held.get_mut(&(oldest.script, oldest.entity)) {
                count.messages = count.messages.saturating_sub(1);
                count.bytes = count.bytes.saturating_sub(freed);
            }
            self.dropped += 1;
        }
        let count = self.held.entry(key).or_default();
        count.messages += 1;
        count.bytes = count.bytes.saturating_add(size);
        self.bytes = self.bytes.saturating_add(size);
        self.messages.push_back(entry);
    }

    /// Adds what one script printed in `tick`, each message tagged with the
    /// script's name and entity (the one place a [`LogEntry`] is made).
    pub fn push_messages(
        &mut self,
        script: &str,
        entity: Option<Entity>,
        messages: impl IntoIterator<Item = ConsoleMessage>,
        tick: u64,
    ) {
        for message in messages {
            self.push(LogEntry {
                script: script.to_string(),
                entity,
                level: message.level,
                text: message.text,
                tick,
            });
        }
    }

    /// The held messages, oldest first.
    pub fn messages(&self) -> impl Iterator<Item = &LogEntry> {
        self.messages.iter()
    }

    /// Takes every held message, freeing the quotas.
    pub fn drain(&mut self) -> Vec<LogEntry> {
        self.held.clear();
        self.bytes = 0;
        self.messages.drain(..).collect()
    }

    /// How many messages were dropped.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}
