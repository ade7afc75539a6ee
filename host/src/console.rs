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
