//! One script, run once in a fresh sandbox, as a [`RunReport`]: what
//! `luabox run script.lua --json` prints.

use crate::sandbox::config::ScriptConfig;
use crate::sandbox::engine::ScriptEngine;
use crate::sandbox::json_text::JsonText;
use crate::scene::report::{ErrorReport, ReportLines, ReportStatus, RunReport};

/// Runs `source` as `name` in a fresh sandbox and reports it.
///
/// ```
/// let engine = luabox::ScriptEngine::new(Default::default())?;
/// let report = luabox::scene::run_script(&engine, "hi.lua", "print('hi') return 42", &Default::default());
/// assert_eq!(report.output, vec!["hi".to_string()]);
/// assert_eq!(report.result.as_str(), "42");
/// # Ok::<(), luabox::ScriptError>(())
/// ```
pub fn run_script(
    engine: &ScriptEngine,
    name: &str,
    source: impl AsRef<[u8]>,
    config: &ScriptConfig,
) -> RunReport {
    let mut output = ReportLines::default();
    let (outcome, fuel_used, fuel_used_exact, memory_peak_bytes) =
        match engine.instantiate(name, config) {
            Ok(mut script) => {
                let outcome = script.run_json(source);
                output.extend(&script.take_output());
                (
                    outcome,
                    script.fuel_used(),
                    script.fuel_used_exact(),
                    script.memory_peak_bytes(),
                )
            }
            Err(error) => (Err(error), 0, true, 0),
        };
    let (result, error) = match outcome {
        Ok(value) => (value, None),
        Err(error) => (JsonText::null(), Some(ErrorReport::from(&error))),
    };
    RunReport {
        status: if error.is_none() {
            ReportStatus::Ok
        } else {
            ReportStatus::Error
        },
        output: output.lines,
        output_dropped: output.dropped,
        result,
        error,
        fuel_used,
        fuel_used_exact,
        memory_peak_bytes,
        ticks: None,
        world: None,
        scripts: None,
        timeline: None,
    }
}
