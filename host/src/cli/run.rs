//! `luabox run FILE.lua`: one script in a fresh sandbox.

use std::io::Write;

use luabox::ScriptError;
use serde::Serialize;
use serde_json::Value;

use super::{RunArgs, exit};

/// The `--json` report: exactly one object on stdout.
#[derive(Serialize)]
struct Report {
    status: &'static str,
    output: Vec<String>,
    result: Value,
    error: Option<ErrorReport>,
    fuel_used: u64,
    memory_peak_bytes: usize,
}

#[derive(Serialize)]
pub(crate) struct ErrorReport {
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    line: Option<u32>,
    traceback: Option<String>,
}

impl From<&ScriptError> for ErrorReport {
    fn from(error: &ScriptError) -> Self {
        ErrorReport {
            kind: error.kind(),
            message: error.message(),
            line: error.line(),
            traceback: error.traceback().map(str::to_string),
        }
    }
}

/// The exit code for a script that ended in `error`.
fn exit_code(error: &ScriptError) -> u8 {
    match error {
        ScriptError::Syntax { .. } | ScriptError::Runtime { .. } => exit::SCRIPT_ERROR,
        ScriptError::ResourceLimitExceeded { .. } => exit::LIMIT,
        ScriptError::SecurityViolation { .. } | ScriptError::PermissionDenied { .. } => {
            exit::SECURITY
        }
        ScriptError::Engine { .. } => exit::USAGE,
        _ => exit::SCRIPT_ERROR,
    }
}

pub(crate) fn run(args: &RunArgs) -> u8 {
    let Some(file) = &args.file else {
        eprintln!("luabox: run needs FILE.lua or --scene SCENE.json");
        return exit::USAGE;
    };
    let name = file.display().to_string();
    let source = match std::fs::read(file) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("luabox: cannot read {name}: {error}");
            return exit::USAGE;
        }
    };
    let engine = match super::engine() {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let config = args.script_config();

    let (outcome, output, fuel_used, memory_peak_bytes) = match engine.instantiate(&name, &config) {
        Ok(mut script) => {
            let outcome = script.run(&source);
            let output = script.take_output();
            (
                outcome,
                output,
                script.fuel_used(),
                script.memory_peak_bytes(),
            )
        }
        Err(error) => (Err(error), Vec::new(), 0, 0),
    };
    let code = outcome.as_ref().map_or_else(exit_code, |_| exit::OK);

    if args.json {
        let lines = output
            .iter()
            .flat_map(|message| message.text.split('\n'))
            .map(str::to_string)
            .collect();
        let (result, error) = match &outcome {
            Ok(value) => (value.clone(), None),
            Err(error) => (Value::Null, Some(ErrorReport::from(error))),
        };
        let report = Report {
            status: if error.is_none() { "ok" } else { "error" },
            output: lines,
            result,
            error,
            fuel_used,
            memory_peak_bytes,
        };
        return super::print_json(&report).map_or_else(|failed| failed, |()| code);
    }

    let mut stdout = std::io::stdout().lock();
    for message in &output {
        // A closed stdout (e.g. `| head`) is not the script's failure.
        if writeln!(stdout, "{}", message.text).is_err() {
            break;
        }
    }
    if let Err(error) = &outcome {
        eprintln!("{}", describe(&name, error));
    }
    code
}

/// The plain-mode error text: kind, `file:line: message`, traceback.
fn describe(name: &str, error: &ScriptError) -> String {
    let message = error.message();
    // Lua's own messages already start with `file:line:`; the others get the
    // script's name.
    let located = if message.starts_with(name) {
        message
    } else {
        format!("{name}: {message}")
    };
    let mut text = format!("error ({}): {located}", error.kind());
    if let Some(traceback) = error.traceback() {
        text.push('\n');
        text.push_str(traceback);
    }
    text
}
