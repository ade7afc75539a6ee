//! The `luabox` command: runs Lua scripts (and scenes of scripted entities)
//! in luabox's sandboxes, and serves the editor preview. Argument parsing and
//! exit codes live here; the work is the `luabox` library's.

#[cfg(feature = "preview")]
mod preview;
mod run;
mod scene;
mod terminal;
mod types;
mod units;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Exit codes, as documented in `--help`.
pub(crate) mod exit {
    pub const OK: u8 = 0;
    pub const SCRIPT_ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const LIMIT: u8 = 3;
    pub const SECURITY: u8 = 4;
}

#[derive(Parser, Debug)]
#[command(
    name = "luabox",
    version,
    about = "Run untrusted Lua 5.4 scripts, each in its own WebAssembly sandbox",
    after_help = "Exit codes: 0 ok; 1 syntax or runtime error; 2 usage or host-side I/O error; \
                  3 a resource limit (fuel, memory, timeout, stack, output); 4 permission or security."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a Lua script in a fresh sandbox, or a scene of scripted entities.
    ///
    /// A script gets Lua's safe libraries only (base without dofile/loadfile
    /// and with a text-only load, table, string without dump, math, coroutine,
    /// utf8, debug.traceback), plus `ecs`, `task` and `log`. There is no os, io,
    /// package or require.
    ///
    /// With --scene, the scene's entities are spawned, each entity's script is
    /// loaded (paths relative to the scene file) and --ticks ticks run; the
    /// final world is printed. Exit code 0 when all ticks ran, even if scripts
    /// failed (their errors are reported); 2 for a scene that cannot be loaded.
    Run(RunArgs),

    /// Serve the editor preview on 127.0.0.1: a page to write Lua, run it
    /// under limits against a scene, and see the console, the world, the
    /// budget used and any error; plus `POST /api/run` for other editors.
    ///
    /// The page and the API take the same limits as `run`. Bodies over
    /// --max-body get 413, malformed requests 400 with the reason; past
    /// --max-runs running and --max-queue waiting, requests get 429.
    #[cfg(feature = "preview")]
    Preview(preview::PreviewArgs),

    /// Write editor types: LuaLS annotations (a `---@meta` file for
    /// lua-language-server) of the Lua API a script has (`ecs`, `task`,
    /// `log`, the callbacks, `entity`; the globals a sandbox lacks, such as
    /// `os` and `io`, declared nil), with a class per component of --scene,
    /// shaped like its values.
    ///
    /// Put the file where the editor's Lua workspace finds it (e.g. a
    /// `types/` folder listed in `.luarc.json`'s `workspace.library`).
    Types(types::TypesArgs),
}

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// The Lua script to run.
    #[arg(required_unless_present = "scene", conflicts_with = "scene")]
    file: Option<PathBuf>,

    /// A scene (JSON) to run instead of a single script:
    /// {"entities": [{"name", "components", "script", "permissions"}]}.
    #[arg(long, value_name = "SCENE.json")]
    scene: Option<PathBuf>,

    /// With --scene: how many ticks to run [default: 1].
    #[arg(long, value_name = "N")]
    ticks: Option<u64>,

    /// With --scene: the time step passed to on_update, in seconds
    /// [default: 1/60].
    #[arg(long, value_name = "SECONDS", value_parser = units::parse_dt)]
    dt: Option<f64>,

    /// Instruction budget (wasmtime fuel units; about 1e9 per 120 ms of Lua;
    /// at least 1). Running out ends the script with kind "fuel".
    #[arg(long, value_name = "N", default_value_t = luabox::Limits::default().fuel)]
    fuel: u64,

    /// Memory cap of the sandbox, e.g. 64MiB, 512KiB or a byte count. The
    /// guest itself needs about 1.3 MiB. Running out is kind "memory".
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = units::parse_size)]
    memory: usize,

    /// Wall-clock limit, e.g. 200ms, 2s or 1.5s (more than 0, at most a day).
    /// Running past it is kind "timeout".
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = units::parse_duration)]
    timeout: Duration,

    /// Deepest call nesting allowed (Lua and C calls). Default: Lua's own
    /// limits (a 50,000-slot Lua stack, 16,000 to 50,000 Lua frames; 200
    /// nested C calls). Kind "stack".
    #[arg(long, value_name = "N")]
    max_recursion_depth: Option<u32>,

    /// Console output cap per call, in bytes; also the most a script's
    /// result may be, as JSON. Passing it is kind "output".
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = units::parse_size)]
    max_output: usize,

    /// Console output cap per call, in lines (each print counts one line
    /// plus one per newline in it). Passing it is kind "output".
    #[arg(long, value_name = "N", default_value_t = luabox::Limits::default().output_lines)]
    max_output_lines: usize,

    /// World writes one call may buffer on the host (values, names and 256
    /// bytes per write), e.g. 16MiB. Past it, the write is refused.
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = units::parse_size)]
    max_writes: usize,

    /// Seed for math.random (runs are reproducible; string hashing has a
    /// fixed seed).
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,

    /// Print exactly one JSON object on stdout: status, output, result, error,
    /// fuel_used, memory_peak_bytes.
    #[arg(long)]
    json: bool,

    /// Print script output and error text as they are. By default control
    /// characters other than tab and newline are shown escaped (ESC as
    /// \27), so a script cannot clear or rewrite your terminal.
    #[arg(long, conflicts_with = "json")]
    raw: bool,
}

impl RunArgs {
    /// The script configuration the flags ask for, checked by the library
    /// ([`luabox::Limits::validate`]); a value out of range is reported on
    /// stderr, naming its flag, and the error is the exit code.
    pub(crate) fn script_config(&self) -> Result<luabox::ScriptConfig, u8> {
        let config = self.unchecked_script_config();
        match config.limits.validate() {
            Ok(()) => Ok(config),
            Err(luabox::ScriptError::InvalidConfig { field, message }) => {
                eprintln!("luabox: {}: {message}", flag_of(field));
                Err(exit::USAGE)
            }
            Err(error) => {
                eprintln!("luabox: {error}");
                Err(exit::USAGE)
            }
        }
    }

    fn unchecked_script_config(&self) -> luabox::ScriptConfig {
        let mut limits = luabox::Limits::default()
            .with_fuel(self.fuel)
            .with_timeout(self.timeout)
            .with_memory(self.memory)
            .with_output_bytes(self.max_output)
            .with_output_lines(self.max_output_lines)
            .with_write_bytes(self.max_writes);
        if let Some(depth) = self.max_recursion_depth {
            limits = limits.with_recursion_depth(depth);
        }
        luabox::ScriptConfig::default()
            .with_limits(limits)
            .with_seed(self.seed)
    }
}

/// The flag that sets a `Limits` field (its name in the library's errors).
fn flag_of(field: &str) -> &str {
    match field {
        "Limits::fuel" => "--fuel",
        "Limits::timeout" => "--timeout",
        "Limits::memory" => "--memory",
        "Limits::recursion_depth" => "--max-recursion-depth",
        "Limits::output_bytes" => "--max-output",
        "Limits::output_lines" => "--max-output-lines",
        "Limits::write_bytes" => "--max-writes",
        other => other,
    }
}

/// The engine both run modes use; on failure the message is on stderr and
/// the error is the exit code.
pub(crate) fn engine() -> Result<luabox::ScriptEngine, u8> {
    luabox::ScriptEngine::new(luabox::EngineConfig::default()).map_err(|error| {
        eprintln!("luabox: {error}");
        exit::USAGE
    })
}

/// Loads the scene at `path` (its scripts read in); on failure the message
/// (file, JSON path, what was expected) is on stderr and the error is the
/// exit code.
pub(crate) fn load_scene(path: &std::path::Path) -> Result<luabox::scene::Scene, u8> {
    luabox::scene::Scene::load(path).map_err(|message| {
        eprintln!("luabox: {message}");
        exit::USAGE
    })
}

/// Prints `report` as one line of JSON; on failure the message is on stderr
/// and the error is the exit code.
pub(crate) fn print_json(report: &impl serde::Serialize) -> Result<(), u8> {
    let text = serde_json::to_string(report).map_err(|error| {
        eprintln!("luabox: cannot encode the report: {error}");
        exit::USAGE
    })?;
    let written = writeln!(std::io::stdout().lock(), "{text}");
    terminal::output_failed(written).map_or(Ok(()), Err)
}

/// Parses the command line and runs it.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => match &args.scene {
            Some(scene) => scene::run(scene, &args),
            None => run::run(&args),
        },
        #[cfg(feature = "preview")]
        Command::Preview(args) => preview::run(&args),
        Command::Types(args) => types::run(&args),
    };
    ExitCode::from(code)
}
