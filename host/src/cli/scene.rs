//! `luabox run --scene scene.json`: scripted entities in a bevy World.

use std::path::Path;

use std::io::Write;

use luabox::{Scene, SceneScript};

use super::terminal::{note_dropped, shown, write_lines};
use super::{RunArgs, exit};

/// Reads and checks the scene and the scripts it names; the error names the
/// file, the JSON path and what was expected.
pub(crate) fn load_scene(path: &Path) -> Result<(Scene, Vec<Option<SceneScript>>), String> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("cannot read {shown}: {error}"))?;
    let scene = Scene::parse(&text).map_err(|message| format!("{shown}: {message}"))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let inline = scene.inline_scripts();
    let scripts = scene
        .entities
        .iter()
        .zip(inline)
        .enumerate()
        .map(|(index, (entity, inline))| match &entity.script {
            None => Ok(inline),
            Some(script) => std::fs::read(base.join(script))
                .map(|source| {
                    Some(SceneScript {
                        name: script.clone(),
                        source,
                    })
                })
                .map_err(|error| {
                    format!("{shown}: at `entities[{index}].script`: cannot read {script}: {error}")
                }),
        })
        .collect::<Result<_, _>>()?;
    Ok((scene, scripts))
}

pub(crate) fn run(path: &Path, args: &RunArgs) -> u8 {
    let (scene, scripts) = match load_scene(path) {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("luabox: {message}");
            return exit::USAGE;
        }
    };
    let engine = match super::engine() {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let report = scene.run(engine, scripts, &args.script_config(), args.ticks, args.dt);
    if args.json {
        if let Err(code) = super::print_json(&report) {
            return code;
        }
        return exit::OK;
    }
    let mut stdout = std::io::stdout().lock();
    write_lines(
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
            write_lines(&mut stderr, [line.as_str()], args.raw);
        }
        if script.errors_dropped > 0 {
            let _ = writeln!(
                stderr,
                "({} earlier errors in {} not kept)",
                script.errors_dropped,
                shown(&script.name, args.raw)
            );
        }
    }
    if let Some(error) = &report.error {
        let _ = writeln!(stderr, "luabox: {}", error.message);
    }
    // JSON escapes every control character itself.
    match serde_json::to_string_pretty(&report.world) {
        Ok(text) => write_lines(&mut stdout, [text.as_str()], true),
        Err(error) => eprintln!("luabox: cannot encode the world: {error}"),
    }
    exit::OK
}
