//! `luabox run --scene scene.json`: scripted entities in a bevy World.

use std::io::Write;
use std::path::Path;

use super::terminal::{note_dropped, output_failed, shown, write_lines};
use super::{RunArgs, exit};

pub(crate) fn run(path: &Path, args: &RunArgs) -> u8 {
    let config = match args.script_config() {
        Ok(config) => config,
        Err(code) => return code,
    };
    let scene = match super::load_scene(path) {
        Ok(scene) => scene,
        Err(code) => return code,
    };
    let engine = match super::engine() {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let (ticks, dt) = (args.ticks.unwrap_or(1), args.dt.unwrap_or(1.0 / 60.0));
    let report = scene.run(engine, &config, ticks, dt);
    if args.json {
        if let Err(code) = super::print_json(&report) {
            return code;
        }
        return exit::OK;
    }
    let mut stdout = std::io::stdout().lock();
    let mut written = write_lines(
        &mut stdout,
        report.output.iter().map(String::as_str),
        args.raw,
    );
    note_dropped(report.output_dropped);
    let mut stderr = std::io::stderr().lock();
    for script in report.scripts.iter().flatten() {
        for error in &script.errors {
            let line = format!(
                "error ({}) in {}: {}",
                error.kind, script.name, error.message
            );
            let _ = write_lines(&mut stderr, [line.as_str()], args.raw);
        }
        if script.errors_dropped > 0 {
            let _ = writeln!(
                stderr,
                "({} earlier errors in {} not kept)",
                script.errors_dropped,
                shown(&script.name, args.raw)
            );
        }
        if let Some(reason) = &script.disabled {
            let line = format!("disabled: {}: {reason}", script.name);
            let _ = write_lines(&mut stderr, [line.as_str()], args.raw);
        }
    }
    if let Some(error) = &report.error {
        let _ = writeln!(stderr, "luabox: {}", error.message);
    }
    // JSON escapes every control character itself.
    match serde_json::to_string_pretty(&report.world) {
        Ok(text) if written.is_ok() => written = write_lines(&mut stdout, [text.as_str()], true),
        Ok(_) => {}
        Err(error) => eprintln!("luabox: cannot encode the world: {error}"),
    }
    output_failed(written).unwrap_or(exit::OK)
}
