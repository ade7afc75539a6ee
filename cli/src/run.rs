//! `luabox run FILE.lua`: one script in a fresh sandbox.

use std::sync::{Arc, Mutex};

use luabox::scene::ErrorReport;
use luabox::{ConsoleMessage, ErrorKind};

use super::terminal::{output_failed, write_lines};
use super::{RunArgs, exit};

/// The exit code for a script that ended in an error of `kind`.
pub(crate) fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        kind if kind.is_limit() => exit::LIMIT,
        ErrorKind::Security | ErrorKind::Permission => exit::SECURITY,
        ErrorKind::Engine => exit::USAGE,
        _ => exit::SCRIPT_ERROR,
    }
}

pub(crate) fn run(args: &RunArgs) -> u8 {
    if args.ticks.is_some() || args.dt.is_some() {
        eprintln!("luabox: --ticks and --dt run a scene: give --scene SCENE.json");
        return exit::USAGE;
    }
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
    let config = match args.script_config() {
        Ok(config) => config,
        Err(code) => return code,
    };
    let engine = match super::engine() {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    if args.json {
        let report = luabox::scene::run_script(&engine, &name, &source, &config);
        let code = report
            .error
            .as_ref()
            .map_or(exit::OK, |error| exit_code(error.kind));
        return super::print_json(&report).map_or_else(|failed| failed, |()| code);
    }

    // Plain mode: the output is printed as the script writes it, all that
    // --max-output and --max-output-lines allow, none of it held.
    let (outcome, written) = match engine.instantiate(&name, &config) {
        Ok(mut script) => {
            let written = StreamedOutput::default();
            script.stream_output(written.sink(args.raw));
            let outcome = script.run_json(&source).map(drop);
            (outcome, written.result())
        }
        Err(error) => (Err(error), Ok(())),
    };
    let code = match &outcome {
        Ok(()) => exit::OK,
        Err(error) => {
            let _ = write_lines(
                &mut std::io::stderr().lock(),
                [describe(&name, &ErrorReport::from(error)).as_str()],
                args.raw,
            );
            exit_code(error.kind())
        }
    };
    output_failed(written).unwrap_or(code)
}

/// Standard output as a script's console: each message printed as it is
/// written (escaped unless `--raw`); after a failed write the rest is not
/// tried, and the first failure is kept for the exit code.
#[derive(Clone, Default)]
struct StreamedOutput(Arc<Mutex<Option<std::io::Error>>>);

impl StreamedOutput {
    fn sink(&self, raw: bool) -> impl FnMut(&ConsoleMessage) + Send + Sync + 'static {
        let failed = Arc::clone(&self.0);
        move |message| {
            let Ok(mut failed) = failed.lock() else {
                return;
            };
            if failed.is_none()
                && let Err(error) =
                    write_lines(&mut std::io::stdout().lock(), [message.text.as_str()], raw)
            {
                *failed = Some(error);
            }
        }
    }

    /// The first failed write, if any.
    fn result(self) -> std::io::Result<()> {
        match self.0.lock().ok().and_then(|mut failed| failed.take()) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// The plain-mode error text: kind, `file:line: message`, traceback.
fn describe(name: &str, error: &ErrorReport) -> String {
    let message = error.message.clone();
    // Lua's own messages already start with `file:line:`; the others get the
    // script's name.
    let located = if message.starts_with(name) {
        message
    } else {
        format!("{name}: {message}")
    };
    let mut text = format!("error ({}): {located}", error.kind);
    if let Some(traceback) = &error.traceback {
        text.push('\n');
        text.push_str(traceback);
    }
    text
}
