//! What scripts print: the console of one instance, and the world's
//! console that collects every script's messages.

use std::fmt;

use crate::budget::HostLimitReached;
use crate::error::Limit;

/// How important a console message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsoleLevel {
    /// Ordinary output (`print`).
    Info,
    /// A warning.
    Warn,
    /// An error the script reported itself.
    Error,
}

/// One message a script wrote to the console.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConsoleMessage {
    /// Its level.
    pub level: ConsoleLevel,
    /// Its text (one `print` call; may contain newlines).
    pub text: String,
}

impl fmt::Display for ConsoleMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where an instance's messages go as they are written, instead of being
/// kept (see [`ScriptInstance::stream_output`](crate::ScriptInstance::stream_output)).
pub(crate) struct OutputSink(Box<dyn FnMut(&ConsoleMessage) + Send + Sync>);

impl fmt::Debug for OutputSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OutputSink")
    }
}

/// The messages of one instance, with the per-call caps.
#[derive(Debug)]
pub(crate) struct Console {
    messages: Vec<ConsoleMessage>,
    /// When set, messages go here as they are written and are not kept.
    sink: Option<OutputSink>,
    dropped: u64,
    bytes_this_call: usize,
    lines_this_call: usize,
    max_bytes: usize,
    max_lines: usize,
}

/// What the current call may still write (see [`Console::room`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConsoleRoom {
    bytes_left: usize,
    lines_left: usize,
    max_bytes: usize,
    max_lines: usize,
}

/// The lines a message stands for: one, plus one per newline in it (what a
/// report that splits messages into lines will hold).
fn lines_of(text: &str) -> usize {
    1 + text.bytes().filter(|byte| *byte == b'\n').count()
}

impl ConsoleRoom {
    /// Fails with kind `output` when `text` would pass a cap.
    pub(crate) fn check(&self, text: &str) -> Result<(), HostLimitReached> {
        let exceeded = |message: String| HostLimitReached {
            limit: Limit::Output,
            message,
        };
        if text.len() > self.bytes_left {
            return Err(exceeded(format!(
                "console output passed {} bytes in one call",
                self.max_bytes
            )));
        }
        if lines_of(text) > self.lines_left {
            return Err(exceeded(format!(
                "console output passed {} lines in one call",
                self.max_lines
            )));
        }
        Ok(())
    }
}

impl Console {
    pub(crate) fn new(max_bytes: usize, max_lines: usize) -> Self {
        Console {
            messages: Vec::new(),
            sink: None,
            dropped: 0,
            bytes_this_call: 0,
            lines_this_call: 0,
            max_bytes,
            max_lines,
        }
    }

    /// Starts counting a new call. Messages of earlier calls that nobody
    /// took are kept up to one call's worth of bytes, the oldest dropped
    /// first, so an instance whose output is never read does not grow.
    pub(crate) fn start_call(&mut self) {
        self.bytes_this_call = 0;
        self.lines_this_call = 0;
        let mut held: usize = self.messages.iter().map(|message| message.text.len()).sum();
        let mut drop_count = 0;
        for message in &self.messages {
            if held <= self.max_bytes {
                break;
            }
            held -= message.text.len();
            drop_count += 1;
        }
        if drop_count > 0 {
            self.messages.drain(..drop_count);
            self.dropped = self.dropped.saturating_add(drop_count as u64);
        }
    }

    /// How many untaken messages were dropped (see [`Console::start_call`]).
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// What the current call may still write.
    pub(crate) fn room(&self) -> ConsoleRoom {
        ConsoleRoom {
            bytes_left: self.max_bytes.saturating_sub(self.bytes_this_call),
            lines_left: self.max_lines.saturating_sub(self.lines_this_call),
            max_bytes: self.max_bytes,
            max_lines: self.max_lines,
        }
    }

    /// Appends a message that [`ConsoleRoom::check`] accepted (or hands it
    /// to the sink, if there is one).
    pub(crate) fn push(&mut self, level: ConsoleLevel, text: String) {
        self.bytes_this_call = self.bytes_this_call.saturating_add(text.len());
        self.lines_this_call = self.lines_this_call.saturating_add(lines_of(&text));
        let message = ConsoleMessage { level, text };
        match &mut self.sink {
            Some(OutputSink(sink)) => sink(&message),
            None => self.messages.push(message),
        }
    }

    /// Sends the messages written from now on to `sink` instead of keeping
    /// them.
    pub(crate) fn stream_to(&mut self, sink: impl FnMut(&ConsoleMessage) + Send + Sync + 'static) {
        self.sink = Some(OutputSink(Box::new(sink)));
    }

    pub(crate) fn messages(&self) -> &[ConsoleMessage] {
        &self.messages
    }

    pub(crate) fn take(&mut self) -> Vec<ConsoleMessage> {
        std::mem::take(&mut self.messages)
    }
}

/// One console message in the world's [`ScriptConsole`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogEntry {
    /// The script's name.
    pub script: String,
    /// The entity the script is attached to (`Entity::to_bits`), if any.
    pub entity: Option<u64>,
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
    held: std::collections::HashMap<(String, Option<u64>), Held>,
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
        entity: Option<u64>,
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
