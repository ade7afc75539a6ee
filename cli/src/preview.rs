//! `luabox preview`: the editor preview. Serves one page (embedded in the
//! binary) and a JSON API on 127.0.0.1 only:
//!
//! - `GET /` the page; `GET /api/config` the scene and default limits;
//!   `GET /api/types` the editor types for the scene (`luabox types`);
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
//! over `--max-body` get 413 (at once when their `Content-Length` says so);
//! malformed requests 400 with the reason.
//!
//! Only this machine's own pages may use it. Any web page the designer
//! visits can send requests to 127.0.0.1, so the server refuses (403) a
//! `Host` other than `127.0.0.1:PORT` or `localhost:PORT` (a DNS-rebinding
//! page names its own host) and an `Origin` other than the page's own, and
//! takes runs only as `Content-Type: application/json` (415 otherwise),
//! which a cross-site form or a "simple" cross-site request cannot send.
//! One request may ask for at most [`MAX_SCRIPTS`] scripts, whose memory caps
//! add up to at most [`MAX_REQUEST_MEMORY`], and runs for at most
//! `--max-run-time` (30 s), loading its scripts included. Connections are capped at
//! [`MAX_CONNECTIONS`]; a client has [`HEADER_TIMEOUT`] to send its headers,
//! [`BODY_TIMEOUT`] for its body, and a connection lives at most
//! [`CONNECTION_LIFETIME`].

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use clap::Args;
use clap::builder::RangedU64ValueParser;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use luabox::ecs::Permissions;
use luabox::scene::{RunReport, Scene, SceneEntity, run_script};
use luabox::{Limits, ScriptConfig, ScriptEngine, ScriptError};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::exit;
use super::units::{parse_duration, parse_positive_duration, parse_positive_size, parse_size};

const PAGE: &str = include_str!("preview/index.html");

/// The most a request may ask for: a preview is for trying, not for burning
/// the machine.
const MAX_FUEL: u64 = 100_000_000_000;
const MAX_MEMORY: usize = 1 << 30;
const MAX_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_TICKS: u64 = 10_000;
/// The most scripts one run may start (scene scripts and the editor's).
const MAX_SCRIPTS: usize = 64;
/// The most the memory caps of one run's sandboxes may add up to.
const MAX_REQUEST_MEMORY: usize = 1 << 30;
/// The most connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 64;
/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client may take to send a request's body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a connection stays open.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

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
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    max_runs: usize,

    /// How many more runs may wait for a slot; past that, 429.
    #[arg(long, value_name = "N", default_value_t = 8)]
    max_queue: usize,

    /// Largest request body, e.g. 1MiB; larger gets 413.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = parse_positive_size)]
    max_body: usize,

    /// The longest one run may take, e.g. 30s, loading its scripts
    /// included: no script call runs past it, and the run reports kind
    /// "timeout".
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_positive_duration)]
    max_run_time: Duration,
}

/// What every handler shares.
struct Preview {
    engine: ScriptEngine,
    scene: Option<Scene>,
    /// The port the server listens on (the only one its pages use).
    port: u16,
    /// The longest one run may take.
    max_run_time: Duration,
    /// The largest request body taken.
    max_body: usize,
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

pub(crate) fn run(args: &PreviewArgs) -> u8 {
    // Read once, at start (`Scene::load` inlines the scripts it names):
    // requests never name files.
    let scene = match args.scene.as_deref().map(super::load_scene).transpose() {
        Ok(scene) => scene,
        Err(code) => return code,
    };
    let engine = match super::engine() {
        Ok(engine) => engine,
        Err(code) => return code,
    };
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
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let port = listener.local_addr()?.port();
        let preview = Arc::new(Preview {
            engine,
            scene,
            port,
            max_run_time: args.max_run_time,
            max_body: args.max_body,
            slots: Arc::new(Semaphore::new(args.max_runs.max(1))),
            waiting: AtomicUsize::new(0),
            max_queue: args.max_queue,
        });
        let app = Router::new()
            .route("/", get(|| async { Html(PAGE) }))
            .route("/api/config", get(config))
            .route("/api/types", get(types))
            .route("/api/run", post(run_request))
            .fallback(|| async {
                Refusal(
                    StatusCode::NOT_FOUND,
                    "no such page: the API is GET /api/config, GET /api/types and POST /api/run"
                        .into(),
                )
            })
            .method_not_allowed_fallback(|| async {
                Refusal(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method not allowed: the API is GET /api/config, GET /api/types and POST \
                     /api/run"
                        .into(),
                )
            })
            .layer(DefaultBodyLimit::max(args.max_body))
            .layer(middleware::from_fn_with_state(
                Arc::clone(&preview),
                only_own_pages,
            ))
            .with_state(preview);
        println!("luabox preview: http://127.0.0.1:{port}/");
        serve(listener, app).await
    });
    match served {
        Ok(()) => exit::OK,
        Err(error) => {
            eprintln!("luabox: preview server on {address}: {error}");
            exit::USAGE
        }
    }
}

/// Accepts connections (at most [`MAX_CONNECTIONS`] at once; more are closed
/// at once) and serves each with HTTP/1.1 under the header timeout and the
/// connection lifetime.
async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors and the like: wait and go on.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let connection = http.serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, connection).await;
        });
    }
}

/// Refuses (403) requests that do not come from this server's own pages: a
/// `Host` other than `127.0.0.1:PORT` or `localhost:PORT`, or an `Origin`
/// other than `http://` one of those.
async fn only_own_pages(
    State(preview): State<Arc<Preview>>,
    request: Request,
    next: Next,
) -> Response {
    let port = preview.port;
    let own = |value: &str| {
        [format!("127.0.0.1:{port}"), format!("localhost:{port}")]
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(value))
    };
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    if !host.is_some_and(own) {
        return Refusal(
            StatusCode::FORBIDDEN,
            format!(
                "this server answers only requests for 127.0.0.1:{port} or localhost:{port} \
                 (Host: {})",
                host.unwrap_or("none")
            ),
        )
        .into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !origin.strip_prefix("http://").is_some_and(own) {
            return Refusal(
                StatusCode::FORBIDDEN,
                "requests from other web pages are refused".into(),
            )
            .into_response();
        }
    }
    next.run(request).await
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

/// `GET /api/types`: the editor types (LuaLS annotations) for the scene's
/// scripts, as a file to save (`luabox.d.lua`).
async fn types(State(preview): State<Arc<Preview>>) -> impl IntoResponse {
    let annotations = preview
        .scene
        .as_ref()
        .map_or_else(luabox::Annotations::new, Scene::annotations);
    (
        [
            (header::CONTENT_TYPE, "text/x-lua; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"luabox.d.lua\"",
            ),
        ],
        annotations.render(),
    )
}

/// `POST /api/run`.
async fn run_request(
    State(preview): State<Arc<Preview>>,
    request: Request,
) -> Result<axum::Json<RunReport>, Response> {
    require_json(request.headers()).map_err(IntoResponse::into_response)?;
    // A body declared larger than the cap is refused before any of it is
    // awaited.
    refuse_declared_size(request.headers(), preview.max_body)
        .map_err(IntoResponse::into_response)?;
    let body = tokio::time::timeout(BODY_TIMEOUT, Bytes::from_request(request, &()))
        .await
        .map_err(|_| {
            Refusal(
                StatusCode::REQUEST_TIMEOUT,
                format!("the request body took longer than {BODY_TIMEOUT:?} to arrive"),
            )
            .into_response()
        })?
        .map_err(|rejection| Refusal(rejection.status(), rejection.body_text()).into_response())?;
    let refused = IntoResponse::into_response;
    let mut parser = serde_json::Deserializer::from_slice(&body);
    let request: RunRequest = serde_path_to_error::deserialize(&mut parser)
        .map_err(|error| bad_request(format!("at `{}`: {}", error.path(), error.inner())))
        .map_err(refused)?;
    parser
        .end()
        .map_err(|error| refused(bad_request(error.to_string())))?;
    let config = ScriptConfig::default()
        .with_limits(limits(request.limits.unwrap_or_default()).map_err(refused)?);
    if let Some(ticks) = request.ticks.filter(|ticks| *ticks > MAX_TICKS) {
        return Err(refused(bad_request(format!(
            "ticks: {ticks} is more than {MAX_TICKS}"
        ))));
    }
    if let Some(scene) = &request.scene
        && let Some(index) = scene
            .entities
            .iter()
            .position(|entity| entity.script.is_some())
    {
        return Err(refused(bad_request(format!(
            "at `scene.entities[{index}].script`: the preview reads no files; give the script inline as `source`"
        ))));
    }
    let scene = request.scene.or_else(|| preview.scene.clone());
    let plan = Plan::new(scene, request.source, request.ticks);
    check_budget(plan.scripts(), &config.limits).map_err(refused)?;

    let slot = take_slot(&preview).await.map_err(refused)?;
    let engine = preview.engine.clone();
    let max_run_time = preview.max_run_time;
    let job = move || {
        // Held until the run ends, not until the response is sent.
        let _slot = slot;
        plan.run(engine, &config, max_run_time)
    };
    tokio::task::spawn_blocking(job)
        .await
        .map(axum::Json)
        .map_err(|error| {
            Refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the run failed: {error}"),
            )
            .into_response()
        })
}

/// Runs are taken only as JSON (415 otherwise): a cross-site form or a
/// "simple" cross-site request cannot send that type.
fn require_json(headers: &HeaderMap) -> Result<(), Refusal> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    match media_type {
        Some(media_type) if media_type.eq_ignore_ascii_case("application/json") => Ok(()),
        other => Err(Refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "send the run as Content-Type: application/json (got {})",
                other.unwrap_or("none")
            ),
        )),
    }
}

/// Refuses (413) a request whose `Content-Length` is over `max_body`.
fn refuse_declared_size(headers: &HeaderMap, max_body: usize) -> Result<(), Refusal> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    match declared {
        Some(size) if size > max_body as u64 => Err(Refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is {size} bytes; at most {max_body} (--max-body)"),
        )),
        _ => Ok(()),
    }
}

/// What a run request runs: the editor's script alone, or a scene with the
/// editor's script as its entity named `editor`. Built whole before the
/// request's budget is checked, so the budget counts exactly the scripts
/// that will run.
enum Plan {
    /// A plain script: runs once and its result is reported.
    Script(String),
    /// A scene for some ticks.
    Scene(Scene, u64),
}

impl Plan {
    /// With a scene (the request's or the server's) or `ticks`, the scene
    /// with the editor's `source` as the script of its first entity named
    /// `editor` (added, allowed to read and write every component the
    /// scene names, to spawn and despawn, and to emit what the scene's
    /// scripts receive and receive what they emit, when there is none);
    /// else the script alone.
    fn new(scene: Option<Scene>, source: String, ticks: Option<u64>) -> Plan {
        if scene.is_none() && ticks.is_none() {
            return Plan::Script(source);
        }
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
                let listened: Vec<String> = scene
                    .entities
                    .iter()
                    .flat_map(|entity| entity.permissions.receive.iter().cloned())
                    .collect();
                let emitted: Vec<String> = scene
                    .entities
                    .iter()
                    .flat_map(|entity| entity.permissions.emit.iter().cloned())
                    .collect();
                scene.entities.push(SceneEntity {
                    name: Some(EDITOR.into()),
                    source: Some(source),
                    permissions: Permissions::default()
                        .read(everything.clone())
                        .write(everything)
                        .emit(listened)
                        .receive(emitted)
                        .spawn_and_despawn(),
                    ..SceneEntity::default()
                });
            }
        }
        Plan::Scene(scene, ticks.unwrap_or(1))
    }

    /// How many scripts the run starts: every entity with a source (several
    /// named `editor` each count: only the first runs the editor's script,
    /// the others their own).
    fn scripts(&self) -> usize {
        match self {
            Plan::Script(_) => 1,
            Plan::Scene(scene, _) => scene
                .entities
                .iter()
                .filter(|entity| entity.source.is_some())
                .count(),
        }
    }

    /// Runs it in fresh sandboxes within `max_run_time`, loading included.
    fn run(self, engine: ScriptEngine, config: &ScriptConfig, max_run_time: Duration) -> RunReport {
        match self {
            Plan::Script(source) => {
                // One call: its timeout is at most the run's.
                let config = config.clone().with_limits(
                    config
                        .limits
                        .clone()
                        .with_timeout(config.limits.timeout.min(max_run_time)),
                );
                run_script(&engine, &format!("{EDITOR}.lua"), &source, &config)
            }
            Plan::Scene(scene, ticks) => {
                scene.run_within(engine, config, ticks, 1.0 / 60.0, max_run_time)
            }
        }
    }
}

/// Refuses a run of `scripts` scripts when they, or their memory caps added
/// up, pass the per-request budget.
fn check_budget(scripts: usize, limits: &Limits) -> Result<(), Refusal> {
    if scripts > MAX_SCRIPTS {
        return Err(bad_request(format!(
            "the run would start {scripts} scripts; a preview run may start at most {MAX_SCRIPTS}"
        )));
    }
    let memory = limits.memory.saturating_mul(scripts);
    if memory > MAX_REQUEST_MEMORY {
        let fitting = MAX_REQUEST_MEMORY / scripts / (1 << 20);
        return Err(bad_request(format!(
            "limits.memory: {scripts} scripts with {} MiB each would reserve {} MiB; a preview \
             run may reserve at most {} MiB (ask for {fitting}MiB or less)",
            limits.memory >> 20,
            memory >> 20,
            MAX_REQUEST_MEMORY >> 20
        )));
    }
    Ok(())
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
    // The library's own check, as `luabox run` makes it.
    match limits.validate() {
        Ok(()) => Ok(limits),
        Err(ScriptError::InvalidConfig { field, message }) => Err(bad_request(format!(
            "limits.{}: {message}",
            field.trim_start_matches("Limits::")
        ))),
        Err(error) => Err(bad_request(error.to_string())),
    }
}
