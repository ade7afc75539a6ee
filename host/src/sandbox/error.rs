//! The one error type of luabox.

use std::fmt;

/// Which resource limit a script ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// The per-call instruction budget ([`Limits::fuel`](crate::Limits::fuel)).
    Fuel,
    /// The instance's memory cap ([`Limits::memory`](crate::Limits::memory)).
    Memory,
    /// The per-call wall-clock budget ([`Limits::timeout`](crate::Limits::timeout)).
    Timeout,
    /// Lua's stack, its C-call nesting, the recursion depth or the wasm stack.
    Stack,
    /// The per-call console output cap.
    Output,
}

impl Limit {
    /// The short lowercase name used in JSON reports and messages
    /// (`"fuel"`, `"memory"`, `"timeout"`, `"stack"`, `"output"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Fuel => "fuel",
            Limit::Memory => "memory",
            Limit::Timeout => "timeout",
            Limit::Stack => "stack",
            Limit::Output => "output",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong running a script.
///
/// Errors raised by Lua carry the script name, the line (when the message
/// names one) and Lua's traceback. A resource limit names the limit and its
/// value in `message`.
///
/// ```
/// use luabox::{ScriptEngine, ScriptError};
///
/// let engine = ScriptEngine::new(Default::default())?;
/// let error = engine.run("boom.lua", "local x = 1\nerror('boom')").unwrap_err();
/// match error {
///     ScriptError::Runtime { script, line, message, .. } => {
///         assert_eq!(script, "boom.lua");
///         assert_eq!(line, Some(2));
///         assert_eq!(message, "boom.lua:2: boom");
///     }
///     other => panic!("unexpected {other}"),
/// }
/// # Ok::<(), ScriptError>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The source did not compile.
    #[error("syntax error: {message}")]
    Syntax {
        /// The script's name (its chunk name).
        script: String,
        /// The line the parser stopped at.
        line: Option<u32>,
        /// Lua's message, e.g. `hello.lua:3: '=' expected near 'x'`.
        message: String,
    },

    /// The script raised an error that nothing caught.
    #[error("runtime error: {message}")]
    Runtime {
        /// The script's name.
        script: String,
        /// The line the message points at, when it names one.
        line: Option<u32>,
        /// The error object as text, e.g. `hello.lua:12: attempt to call a nil value`.
        message: String,
        /// Lua's stack traceback at the point of the error.
        traceback: Option<String>,
    },

    /// The script hit a resource limit. The instance is terminated when the
    /// limit was enforced by a trap (fuel, timeout, output, a wasm stack
    /// overflow, memory outside Lua's allocator); a "not enough memory" or
    /// "stack overflow" that Lua raised itself leaves the instance usable.
    #[error("{limit} limit exceeded: {message}")]
    ResourceLimitExceeded {
        /// The script's name.
        script: String,
        /// Which limit.
        limit: Limit,
        /// What happened, with the limit's value.
        message: String,
        /// The Lua line, when Lua itself reported the error.
        line: Option<u32>,
        /// Lua's traceback, when Lua itself reported the error.
        traceback: Option<String>,
    },

    /// The sandbox stopped the script for doing something it must never do
    /// (a wasm trap other than a resource limit, or a malformed answer from
    /// the guest). The instance is terminated.
    #[error("security violation in {script}: {message}")]
    SecurityViolation {
        /// The script's name.
        script: String,
        /// What was detected.
        message: String,
    },

    /// The script called a host function its permissions do not allow.
    #[error("permission denied to {script}: {message}")]
    PermissionDenied {
        /// The script's name.
        script: String,
        /// What was refused, after the Lua line that asked, e.g.
        /// `mover.lua:4: ecs.insert: permission denied: mover.lua may not write Velocity`.
        message: String,
        /// The line that asked.
        line: Option<u32>,
        /// Lua's traceback at the refused call.
        traceback: Option<String>,
    },

    /// The script is disabled (after too many violations, or by the host)
    /// and is not run until re-enabled.
    #[error("script {script} is disabled: {reason}")]
    ScriptDisabled {
        /// The script's name.
        script: String,
        /// Why it was disabled.
        reason: String,
    },

    /// The script's instance was terminated by an earlier trap; luabox never
    /// runs guest code again after a trap. Start the script afresh.
    #[error("script {script} was terminated earlier ({cause}); start it afresh")]
    Terminated {
        /// The script's name.
        script: String,
        /// The kind of the error that terminated it: a limit, or
        /// [`ErrorKind::Security`].
        cause: ErrorKind,
    },

    /// The script's sandbox was closed ([`ScriptInstance::close`]); start
    /// it afresh.
    ///
    /// [`ScriptInstance::close`]: crate::ScriptInstance::close
    #[error("script {script} was closed; start it afresh")]
    Closed {
        /// The script's name.
        script: String,
    },

    /// No script by that name.
    #[error("no script named {script}")]
    NotFound {
        /// The name asked for.
        script: String,
    },

    /// The entity a script was to be attached to does not exist (kind
    /// `not_found`); nothing was loaded.
    #[error("cannot attach {script}: entity {entity} does not exist")]
    NoSuchEntity {
        /// The script's name.
        script: String,
        /// The entity (`Entity::to_bits`).
        entity: u64,
    },

    /// A value did not convert between Rust and Lua: a result that does
    /// not fit the type asked for ([`ScriptInstance::eval`], [`ScriptInstance::call`]),
    /// or arguments that do not serialise. The instance stays usable.
    ///
    /// [`ScriptInstance::eval`]: crate::ScriptInstance::eval
    /// [`ScriptInstance::call`]: crate::ScriptInstance::call
    #[error("conversion error in {script}: {message}")]
    Conversion {
        /// The script's name.
        script: String,
        /// The Rust type asked for (or given), e.g. `Vec<String>`.
        expected: String,
        /// What came and why it does not fit, e.g.
        /// `expected i64, got a string: invalid type: string "x", expected i64`.
        message: String,
    },

    /// A configuration value is out of range (for instance a memory cap or
    /// a timeout of zero); nothing was started.
    #[error("invalid configuration: {field}: {message}")]
    InvalidConfig {
        /// The setting, e.g. `Limits::memory`.
        field: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },

    /// The engine could not be set up (compiling or loading the guest).
    #[error("engine setup failed: {message}")]
    Engine {
        /// What failed.
        message: String,
    },
}

/// What kind of failure a [`ScriptError`] is: what an embedder matches on,
/// and what reports carry (serialised in lowercase, e.g. `"fuel"`).
///
/// ```
/// use luabox::{ErrorKind, ScriptEngine};
///
/// let engine = ScriptEngine::new(Default::default())?;
/// let error = engine.run("bad.lua", "error('boom')").unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::Runtime);
/// assert_eq!(serde_json::to_string(&error.kind()).unwrap(), r#""runtime""#);
/// assert!(ErrorKind::Fuel.is_limit() && !ErrorKind::Runtime.is_limit());
/// # Ok::<(), luabox::ScriptError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`ScriptError::Syntax`].
    Syntax,
    /// [`ScriptError::Runtime`].
    Runtime,
    /// A [`Limit::Fuel`] limit.
    Fuel,
    /// A [`Limit::Memory`] limit.
    Memory,
    /// A [`Limit::Timeout`] limit.
    Timeout,
    /// A [`Limit::Stack`] limit.
    Stack,
    /// A [`Limit::Output`] limit.
    Output,
    /// [`ScriptError::SecurityViolation`].
    Security,
    /// [`ScriptError::PermissionDenied`].
    Permission,
    /// [`ScriptError::ScriptDisabled`].
    Disabled,
    /// [`ScriptError::Terminated`].
    Terminated,
    /// [`ScriptError::Closed`].
    Closed,
    /// [`ScriptError::NotFound`] or [`ScriptError::NoSuchEntity`].
    NotFound,
    /// [`ScriptError::Engine`].
    Engine,
    /// [`ScriptError::Conversion`].
    Conversion,
    /// [`ScriptError::InvalidConfig`].
    InvalidConfig,
}

impl ErrorKind {
    /// The lowercase name reports use: `"syntax"`, `"runtime"`, a [`Limit`]
    /// name, `"security"`, `"permission"`, `"disabled"`, `"terminated"`, `"closed"`,
    /// `"not_found"`, `"engine"`, `"conversion"` or `"invalid_config"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Runtime => "runtime",
            ErrorKind::Fuel => "fuel",
            ErrorKind::Memory => "memory",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Stack => "stack",
            ErrorKind::Output => "output",
            ErrorKind::Security => "security",
            ErrorKind::Permission => "permission",
            ErrorKind::Disabled => "disabled",
            ErrorKind::Terminated => "terminated",
            ErrorKind::Closed => "closed",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Engine => "engine",
            ErrorKind::Conversion => "conversion",
            ErrorKind::InvalidConfig => "invalid_config",
        }
    }

    /// Whether this kind is a resource limit.
    pub fn is_limit(self) -> bool {
        matches!(
            self,
            ErrorKind::Fuel
                | ErrorKind::Memory
                | ErrorKind::Timeout
                | ErrorKind::Stack
                | ErrorKind::Output
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Limit> for ErrorKind {
    fn from(limit: Limit) -> Self {
        match limit {
            Limit::Fuel => ErrorKind::Fuel,
            Limit::Memory => ErrorKind::Memory,
            Limit::Timeout => ErrorKind::Timeout,
            Limit::Stack => ErrorKind::Stack,
            Limit::Output => ErrorKind::Output,
        }
    }
}

impl ScriptError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ScriptError::Syntax { .. } => ErrorKind::Syntax,
            ScriptError::Runtime { .. } => ErrorKind::Runtime,
            ScriptError::ResourceLimitExceeded { limit, .. } => ErrorKind::from(*limit),
            ScriptError::SecurityViolation { .. } => ErrorKind::Security,
            ScriptError::PermissionDenied { .. } => ErrorKind::Permission,
            ScriptError::ScriptDisabled { .. } => ErrorKind::Disabled,
            ScriptError::Terminated { .. } => ErrorKind::Terminated,
            ScriptError::Closed { .. } => ErrorKind::Closed,
            ScriptError::NotFound { .. } | ScriptError::NoSuchEntity { .. } => ErrorKind::NotFound,
            ScriptError::Engine { .. } => ErrorKind::Engine,
            ScriptError::Conversion { .. } => ErrorKind::Conversion,
            ScriptError::InvalidConfig { .. } => ErrorKind::InvalidConfig,
        }
    }

    /// The Lua line the error points at, if any.
    pub fn line(&self) -> Option<u32> {
        match self {
            ScriptError::Syntax { line, .. }
            | ScriptError::Runtime { line, .. }
            | ScriptError::ResourceLimitExceeded { line, .. }
            | ScriptError::PermissionDenied { line, .. } => *line,
            _ => None,
        }
    }

    /// Lua's traceback, if any.
    pub fn traceback(&self) -> Option<&str> {
        match self {
            ScriptError::Runtime { traceback, .. }
            | ScriptError::ResourceLimitExceeded { traceback, .. }
            | ScriptError::PermissionDenied { traceback, .. } => traceback.as_deref(),
            _ => None,
        }
    }

    /// The message without the kind prefix that `Display` adds.
    pub fn message(&self) -> String {
        match self {
            ScriptError::Syntax { message, .. }
            | ScriptError::Runtime { message, .. }
            | ScriptError::ResourceLimitExceeded { message, .. }
            | ScriptError::SecurityViolation { message, .. }
            | ScriptError::PermissionDenied { message, .. }
            | ScriptError::Conversion { message, .. }
            | ScriptError::InvalidConfig { message, .. }
            | ScriptError::Engine { message } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// The most bytes of an error's message the host keeps (UTF-8; cut at a
/// character boundary, with a note of how much was cut). A script can raise
/// an error of any size inside its sandbox; what reaches the host is bounded.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 4 << 10;

/// The most bytes of an error's traceback the host keeps (cut as messages
/// are).
pub const MAX_TRACEBACK_BYTES: usize = 4 << 10;

/// `text` cut to at most `max` bytes (plus a short note of what was cut).
pub(crate) fn cut_text(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let total = text.len();
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.shrink_to_fit();
    text.push_str(&format!("… ({} of {total} bytes cut)", total - end));
    text
}

/// An error's message and traceback, each cut to its documented size.
pub(crate) fn cut_error_text(
    message: String,
    traceback: Option<String>,
) -> (String, Option<String>) {
    (
        cut_text(message, MAX_ERROR_MESSAGE_BYTES),
        traceback.map(|traceback| cut_text(traceback, MAX_TRACEBACK_BYTES)),
    )
}

/// Shorthand for results of luabox operations.
pub type Result<T, E = ScriptError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_at_a_character_boundary_with_a_note() {
        let text = "é".repeat(10);
        let cut = cut_text(text, 5);
        assert_eq!(cut, "éé… (16 of 20 bytes cut)");
        assert_eq!(cut_text("short".into(), 5), "short");
    }
}
