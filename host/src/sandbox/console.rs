//! What a script prints: the console of one instance, with its per-call
//! caps. (The world's console, which collects every script's messages, is
//! [`ScriptConsole`](crate::ecs::ScriptConsole).)

use std::fmt;

use crate::sandbox::error::Limit;
use crate::wasm::budget::HostLimitReached;

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
