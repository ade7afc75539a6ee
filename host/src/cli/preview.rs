//! `luabox preview`: the editor preview. Serves one page (embedded in the
//! binary) and a JSON API on 127.0.0.1 only:
//!
//! - `GET /` the page; `GET /api/config` the scene and default limits;
//! - `POST /api/run` `{"source", "scene"?, "limits"?: {"fuel"?, "memory"?,
//!   "timeout"?}, "ticks"?}` → the object `luabox run --json` prints.
//!
//! With a scene (the request's, else the one given at start) or `ticks`, the
//! editor's script runs as the scene entity named `editor` (added if the scene
//! has none, allowed to read and write every component the scene names, and
//! to spawn and despawn) for `ticks` ticks (default 1); without either, it runs
//! once as a plain script and its result is reported.
//!
//! Every run gets fresh sandboxes. At most `--max-runs` run at once and
//! `--max-queue` more wait; the rest get 429, so a flood of infinite loops
//! cannot starve the server (each run ends at its limits anyway). Bodies
//! over `--max-body` get 413; malformed requests 400 with the reason.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use clap::Args;
use luabox::{
    Limits, Permissions, RunReport, Scene, SceneEntity, ScriptConfig, ScriptEngine, run_script,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::exit;
use super::units::{parse_duration, parse_size};

const PAGE: &str = include_str!("preview/index.html");

/// The most a request may ask for: a preview is for trying, not for burning
/// the machine.
const MAX_FUEL: u64 = 100_000_000_000;
const MAX_MEMORY: usize = 1 << 30;
const MAX_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_TICKS: u64 = 10_000;

/// The editor's script: its name in reports, and its entity's name in scenes.
const EDITOR: &str = "editor";

#[derive(Args, Debug)]
pub(crate) struct PreviewArgs {
    /// A scene (JSON, as for `luabox run --scene`) to run the editor's script
    /// in; its scripts are read once, at start.
    #[arg(long, value_name = "SCENE.json")]
    scene: Option<PathBuf>,

    /// The port to listen on (on 127.0.0.1 only).
    #[arg(long, default_value_t = 8787)]
    port: u16,

    /// How many runs may execute at once.
    #[arg(long, value_name = "N", default_value_t = 2)]
    max_runs: usize,

    /// How many more runs may wait for a slot; past that, 429.
    #[arg(long, value_name = "N", default_value_t = 8)]
    max_queue: usize,

    /// Largest request body, e.g. 1MiB; larger gets 413.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = parse_size)]
    max_body: usize,
}

/// What every handler shares.
struct Preview {
    engine: ScriptEngine,
    scene: Option<Scene>,
    /// Run slots; a run holds one until its sandbox work ends, even if the
    /// client has gone away.
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_queue: usize,
}

/// A run request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    source: String,
    #[serde(default)]
    scene: Option<Scene>,
    #[serde(default)]
    limits: Option<RequestLimits>,
    #[serde(default)]
    ticks: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RequestLimits {
    fuel: Option<u64>,
    memory: Option<String>,
    timeout: Option<String>,
}

/// An error response: status and `{"error": message}`.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.0, axum::Json(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

fn bad_request(message: String) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, message)
}

/// Reads the scene file (as `luabox run --scene` does) and inlines its
/// scripts, so requests never name files.
fn load_scene(path: &Path) -> Result<Scene, String> {
    let (mut scene, scripts) = super::scene::load_scene(path)?;
    for (entity, script) in scene.entities.iter_mut().zip(scripts) {
        if let Some(script) = script {
            entity.script = None;
            entity.source = Some(String::from_utf8_lossy(&script.source).into_owned());
        }
    }
    Ok(scene)
}

pub(crate) fn run(args: &PreviewArgs) -> u8 {
    let scene = match args.scene.as_deref().map(load_scene).transpose() {
        Ok(scene) => scene,
        Err(message) => {
            eprintln!("luabox: {message}");
            return exit::USAGE;
        }
    };
    let engine = match super::engine() {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let preview = Arc::new(Preview {
        engine,
        scene,
        slots: Arc::new(Semaphore::new(args.max_runs.max(1))),
        waiting: AtomicUsize::new(0),
        max_queue: args.max_queue,
    });
    let app = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/api/config", get(config))
        .route("/api/run", post(run_request))
        .layer(DefaultBodyLimit::max(args.max_body))
        .with_state(preview);
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("luabox: cannot start the server: {error}");
            return exit::USAGE;
        }
    };
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address).await?;
        println!("luabox preview: http://{}/", listener.local_addr()?);
        axum::serve(listener, app).await
    });
    match served {
        Ok(()) => exit::OK,
        Err(error) => {
            eprintln!("luabox: preview server on {address}: {error}");
            exit::USAGE
        }
    }
}

/// `GET /api/config`: the scene the editor's script runs in (if any) and the
/// default limits, for the page's inputs.
async fn config(State(preview): State<Arc<Preview>>) -> axum::Json<Value> {
    let limits = Limits::default();
    let scene = preview.scene.as_ref().map(|scene| {
        let entities: Vec<Value> = scene
            .entities
            .iter()
            .map(|entity| {
                json!({
                    "name": entity.name,
                    "components": entity.components,
                    "source": entity.source,
                    "permissions": entity.permissions,
                })
            })
            .collect();
        json!({ "entities": entities })
    });
    axum::Json(json!({
        "scene": scene,
        "limits": {
            "fuel": limits.fuel,
            "memory": "64MiB",
            "timeout": format!("{}ms", limits.timeout.as_millis()),
        },
    }))
}

/// `POST /api/run`.
async fn run_request(
    State(preview): State<Arc<Preview>>,
    body: Bytes,
) -> Result<axum::Json<RunReport>, Refusal> {
    let mut parser = serde_json::Deserializer::from_slice(&body);
    let request: RunRequest = serde_path_to_error::deserialize(&mut parser)
        .map_err(|error| bad_request(format!("at `{}`: {}", error.path(), error.inner())))?;
    parser
        .end()
        .map_err(|error| bad_request(error.to_string()))?;
    let config = ScriptConfig {
        limits: limits(request.limits.unwrap_or_default())?,
        ..ScriptConfig::default()
    };
    if let Some(ticks) = request.ticks.filter(|ticks| *ticks > MAX_TICKS) {
        return Err(bad_request(format!(
            "ticks: {ticks} is more than {MAX_TICKS}"
        )));
    }
    if let Some(scene) = &request.scene
        && let Some(index) = scene
            .entities
            .iter()
            .position(|entity| entity.script.is_some())
    {
        return Err(bad_request(format!(
            "at `scene.entities[{index}].script`: the preview reads no files; give the script inline as `source`"
        )));
    }

    let slot = take_slot(&preview).await?;
    let engine = preview.engine.clone();
    let scene = request.scene.or_else(|| preview.scene.clone());
    let (source, ticks) = (request.source, request.ticks);
    let job = move || {
        // Held until the run ends, not until the response is sent.
        let _slot = slot;
        run_in_sandboxes(engine, scene, source, ticks, &config)
    };
    tokio::task::spawn_blocking(job)
        .await
        .map(axum::Json)
        .map_err(|error| {
            Refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the run failed: {error}"),
            )
        })
}

/// Runs the editor's `source`: alone, or in the scene as its `editor` entity.
fn run_in_sandboxes(
    engine: ScriptEngine,
    scene: Option<Scene>,
    source: String,
    ticks: Option<u64>,
    config: &ScriptConfig,
) -> RunReport {
    match (scene, ticks) {
        (None, None) => run_script(&engine, &format!("{EDITOR}.lua"), &source, config),
        (scene, ticks) => {
            let mut scene = scene.unwrap_or_default();
            let named_editor = scene
                .entities
                .iter_mut()
                .find(|entity| entity.name.as_deref() == Some(EDITOR));
            match named_editor {
                Some(entity) => entity.source = Some(source),
                None => {
                    let everything: Vec<String> = scene
                        .entities
                        .iter()
                        .flat_map(|entity| entity.components.keys().cloned())
                        .collect();
                    scene.entities.push(SceneEntity {
                        name: Some(EDITOR.into()),
                        source: Some(source),
                        permissions: Permissions::default()
                            .read(everything.clone())
                            .write(everything)
                            .spawn_and_despawn(),
                        ..SceneEntity::default()
                    });
                }
            }
            let scripts = scene.inline_scripts();
            scene.run(engine, scripts, config, ticks.unwrap_or(1), 1.0 / 60.0)
        }
    }
}

/// A run slot: at once if one is free, after a wait if the queue has room,
/// else 429.
async fn take_slot(preview: &Preview) -> Result<OwnedSemaphorePermit, Refusal> {
    if let Ok(permit) = Arc::clone(&preview.slots).try_acquire_owned() {
        return Ok(permit);
    }
    let busy = || {
        Refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "busy: every run slot is taken and the queue is full; try again shortly".into(),
        )
    };
    let Some(_place) = QueuePlace::take(&preview.waiting, preview.max_queue) else {
        return Err(busy());
    };
    Arc::clone(&preview.slots)
        .acquire_owned()
        .await
        .map_err(|_| busy())
}

/// A place in the queue, given back when dropped (also when the client goes
/// away while waiting).
struct QueuePlace<'a>(&'a AtomicUsize);

impl<'a> QueuePlace<'a> {
    fn take(waiting: &'a AtomicUsize, max: usize) -> Option<Self> {
        if waiting.fetch_add(1, Ordering::SeqCst) >= max {
            waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(QueuePlace(waiting))
    }
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The request's limits over the defaults, each checked against the cap.
fn limits(requested: RequestLimits) -> Result<Limits, Refusal> {
    let mut limits = Limits::default();
    if let Some(fuel) = requested.fuel {
        if fuel == 0 || fuel > MAX_FUEL {
            return Err(bad_request(format!(
                "limits.fuel: {fuel} is not in 1..={MAX_FUEL}"
            )));
        }
        limits.fuel = fuel;
    }
    if let Some(memory) = requested.memory {
        let bytes =
            parse_size(&memory).map_err(|error| bad_request(format!("limits.memory: {error}")))?;
        if bytes > MAX_MEMORY {
            return Err(bad_request(format!(
                "limits.memory: {memory} is more than 1GiB"
            )));
        }
        limits.memory = bytes;
    }
    if let Some(timeout) = requested.timeout {
        let duration = parse_duration(&timeout)
            .map_err(|error| bad_request(format!("limits.timeout: {error}")))?;
        if duration > MAX_TIMEOUT {
            return Err(bad_request(format!(
                "limits.timeout: {timeout} is more than 10s"
            )));
        }
        limits.timeout = duration;
    }
    Ok(limits)
}
