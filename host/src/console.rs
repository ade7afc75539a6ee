//! What scripts print: the console of one instance.

use std::fmt;

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

/// Raised (as a trap) when a call writes more than its output cap.
#[derive(Debug)]
pub(crate) struct OutputCapReached {
    pub(crate) message: String,
}

impl fmt::Display for OutputCapReached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OutputCapReached {}

/// The messages of one instance, with the per-call caps.
#[derive(Debug)]
pub(crate) struct Console {
    messages: Vec<ConsoleMessage>,
    bytes_this_call: usize,
    lines_this_call: usize,
    max_bytes: usize,
    max_lines: usize,
}

impl Console {
    pub(crate) fn new(max_bytes: usize, max_lines: usize) -> Self {
        Console {
            messages: Vec::new(),
            bytes_this_call: 0,
            lines_this_call: 0,
            max_bytes,
            max_lines,
        }
    }

    /// Starts counting a new call.
    pub(crate) fn start_call(&mut self) {
        self.bytes_this_call = 0;
        self.lines_this_call = 0;
    }

    /// Appends a message, or refuses it when it would pass a cap.
    pub(crate) fn push(
        &mut self,
        level: ConsoleLevel,
        text: String,
    ) -> Result<(), OutputCapReached> {
        let bytes = self.bytes_this_call.saturating_add(text.len());
        let lines = self.lines_this_call + 1;
        if bytes > self.max_bytes {
            return Err(OutputCapReached {
                message: format!("console output passed {} bytes in one call", self.max_bytes),
            });
        }
        if lines > self.max_lines {
            return Err(OutputCapReached {
                message: format!("console output passed {} lines in one call", self.max_lines),
            });
        }
        self.bytes_this_call = bytes;
        self.lines_this_call = lines;
        self.messages.push(ConsoleMessage { level, text });
        Ok(())
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

/// The scripts' console, a bevy resource: a bounded ring buffer. When it is
/// full the oldest message goes; a script past its quota of held messages
/// loses its new ones. Both are counted in [`ScriptConsole::dropped`].
///
/// ```
/// use luabox::{ConsoleLevel, LogEntry, ScriptConsole};
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
    /// Messages held per script (name and entity: two instances of one
    /// script file are two scripts).
    held: std::collections::HashMap<(String, Option<u64>), usize>,
    capacity: usize,
    per_script: usize,
    dropped: u64,
}

impl Default for ScriptConsole {
    /// 1,000 messages in all, 100 per script.
    fn default() -> Self {
        ScriptConsole::new(1_000, 100)
    }
}

impl ScriptConsole {
    /// A console holding at most `capacity` messages, `per_script` of them
    /// from any one script.
    pub fn new(capacity: usize, per_script: usize) -> Self {
        ScriptConsole {
            messages: std::collections::VecDeque::new(),
            held: std::collections::HashMap::new(),
            capacity,
            per_script,
            dropped: 0,
        }
    }

    /// Adds a message, dropping it or the oldest as the caps require.
    pub fn push(&mut self, entry: LogEntry) {
        let key = (entry.script.clone(), entry.entity);
        let held = self.held.get(&key).copied().unwrap_or(0);
        if held >= self.per_script || self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        if self.messages.len() >= self.capacity
            && let Some(oldest) = self.messages.pop_front()
        {
            if let Some(count) = self.held.get_mut(&(oldest.script, oldest.entity)) {
                *count = count.saturating_sub(1);
            }
            self.dropped += 1;
        }
        *self.held.entry(key).or_insert(0) += 1;
        self.messages.push_back(entry);
    }

    /// The held messages, oldest first.
    pub fn messages(&self) -> impl Iterator<Item = &LogEntry> {
        self.messages.iter()
    }

    /// Takes every held message, freeing the quotas.
    pub fn drain(&mut self) -> Vec<LogEntry> {
        self.held.clear();
        self.messages.drain(..).collect()
    }

    /// How many messages were dropped.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}
