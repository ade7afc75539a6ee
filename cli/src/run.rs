//! `luabox run FILE.lua`: one script in a fresh sandbox.

use luabox::ErrorKind;
use luabox::scene::ErrorReport;

use super::terminal::{note_dropped, output_failed, write_lines};
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
    let engine = match super::engine() {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let report = luabox::scene::run_script(&engine, &name, &source, &args.script_config());
    let code = report
        .error
        .as_ref()
        .map_or(exit::OK, |error| exit_code(error.kind));
    if args.json {
        return super::print_json(&report).map_or_else(|failed| failed, |()| code);
    }

    let written = write_lines(
        &mut std::io::stdout().lock(),
        report.output.iter().map(String::as_str),
        args.raw,
    );
    note_dropped(report.output_dropped);
    if let Some(error) = &report.error {
        let _ = write_lines(
            &mut std::io::stderr().lock(),
            [describe(&name, error).as_str()],
            args.raw,
        );
    }
    output_failed(written).unwrap_or(code)
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
