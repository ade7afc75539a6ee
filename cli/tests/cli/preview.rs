//! `luabox preview`: the JSON API (same report as `luabox run --json`, 413,
//! 400 with the reason, 429 under a flood) and the page itself, driven in
//! headless Chromium through chromedriver.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::test_cache;

/// A running `luabox preview`, stopped on drop.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let luabox::CacheDir::At(cache) = test_cache() else {
            unreachable!()
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_luabox"))
            .args(["preview", "--port", "0"])
            .args(args)
            .env("LUABOX_CACHE_DIR", cache)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start luabox preview");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("banner");
        let base = line
            .trim()
            .strip_prefix("luabox preview: ")
            .unwrap_or_else(|| panic!("unexpected banner: {line:?}"))
            .trim_end_matches('/')
            .to_string();
        Server { child, base }
    }

    /// POSTs `body` to `/api/run`: status and JSON body.
    fn run(&self, body: &str) -> (u16, Value) {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let mut response = agent
            .post(format!("{}/api/run", self.base))
            .header("content-type", "application/json")
            .send(body)
            .expect("request");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scene_path() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/scene/scene.json").to_string()
}

#[test]
fn the_api_returns_what_luabox_run_json_prints() {
    let server = Server::start(&[]);
    let source = "print('hi', 1)\nreturn 6 * 7, {x = true}";
    let (status, report) = server.run(&json!({ "source": source }).to_string());
    assert_eq!(status, 200, "{report}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("editor.lua");
    std::fs::write(&path, source).unwrap();
    let luabox::CacheDir::At(cache) = test_cache() else {
        unreachable!()
    };
    // Run from the file's directory, so the chunk name (which fuel counts
    // too) is `editor.lua` on both sides.
    let output = Command::new(env!("CARGO_BIN_EXE_luabox"))
        .args(["run", "editor.lua", "--json"])
        .current_dir(dir.path())
        .env("LUABOX_CACHE_DIR", cache)
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report, cli);
    assert_eq!(report["result"], json!([42, {"x": true}]));
}

#[test]
fn the_api_runs_the_script_in_the_scene_for_the_ticks_asked() {
    let server = Server::start(&["--scene", &scene_path()]);
    // The editor may emit what the scene's scripts receive.
    let source = "function on_start() ecs.emit('spawned', {at = {x = 7, y = 8}}) end\n\
                  function on_update() print('tick', #ecs.query('Position')) end";
    let (status, report) = server.run(&json!({ "source": source, "ticks": 4 }).to_string());
    assert_eq!(status, 200, "{report}");
    // The timeline: the spawner waits two seconds of game time (120 ticks
    // at the preview's 1/60 s); the editor's event is delivered on tick 2.
    let timeline = report["timeline"].as_array().expect("a timeline");
    assert_eq!(timeline.len(), 4);
    assert!(
        timeline.iter().all(|tick| tick["tasks_waiting"] == 1),
        "{timeline:?}"
    );
    assert_eq!(timeline[1]["events_delivered"][0]["name"], "spawned");
    assert_eq!(timeline[3]["tick"], 4);
    assert_eq!(
        report["output"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|line| line.as_str().unwrap_or("").starts_with("tick"))
            .count(),
        4
    );
    assert!(
        report["output"]
            .as_array()
            .unwrap()
            .iter()
            .any(|line| line == "heard spawned: a marker at 7,8"),
        "{report}"
    );
    let names: Vec<&str> = report["world"]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entity| entity["name"].as_str())
        .collect();
    assert!(
        names.contains(&"player") && names.contains(&"editor"),
        "{names:?}"
    );
    let editor = report["scripts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|script| script["name"] == "editor.lua")
        .expect("the editor's script is reported");
    assert_eq!(editor["status"], "ok", "{editor}");
}

#[test]
fn the_editor_types_for_the_scene_download_as_a_file() {
    let server = Server::start(&["--scene", &scene_path()]);
    let mut response = ureq::get(format!("{}/api/types", server.base))
        .call()
        .expect("GET /api/types");
    assert_eq!(response.status().as_u16(), 200);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(disposition, "attachment; filename=\"luabox.d.lua\"");
    let text = response.body_mut().read_to_string().unwrap();
    assert!(text.starts_with("---@meta luabox\n"));
    assert!(text.contains("---@class Position\n"), "{text}");
}

#[test]
fn bad_requests_get_400_with_the_reason_and_big_ones_413() {
    let server = Server::start(&["--max-body", "2KiB"]);
    for (body, reason) in [
        ("{\"source\": ", "EOF"),
        ("[1, 2]", "invalid type"),
        (r#"{"source": "x", "colour": 1}"#, "unknown field `colour`"),
        (
            r#"{"source": "x", "limits": {"memory": "lots"}}"#,
            "limits.memory",
        ),
        (
            r#"{"source": "x", "limits": {"timeout": "1h"}}"#,
            "limits.timeout",
        ),
        (r#"{"source": "x", "ticks": 1000000}"#, "ticks"),
        (
            r#"{"source": "x", "scene": {"entities": [{"script": "/etc/passwd"}]}}"#,
            "reads no files",
        ),
    ] {
        let (status, answer) = server.run(body);
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{body}: {message}");
    }
    let big = json!({ "source": "x".repeat(4096) }).to_string();
    let (status, answer) = server.run(&big);
    assert_eq!(status, 413);
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|error| error.contains("4109 bytes; at most 2048 (--max-body)")),
        "{answer}"
    );
    // Every refusal is JSON, unknown pages and methods too.
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    for (mut response, status) in [
        (agent.get(format!("{}/nowhere", server.base)).call(), 404),
        (agent.get(format!("{}/api/run", server.base)).call(), 405),
    ] {
        let response = response.as_mut().expect("an answer");
        assert_eq!(response.status().as_u16(), status);
        let answer: Value = response.body_mut().read_json().expect("a JSON body");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|error| error.contains("/api/run"))
        );
    }
    // Still serving.
    assert_eq!(server.run(r#"{"source": "return 1"}"#).1["result"], 1);
}

#[test]
fn a_flood_of_infinite_loops_gets_429_and_the_server_recovers() {
    let server = Server::start(&["--max-runs", "1", "--max-queue", "1"]);
    let spin = json!({
        "source": "while true do end",
        "limits": {"fuel": 100_000_000_000u64, "timeout": "500ms"}
    })
    .to_string();
    let statuses: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..6).map(|_| scope.spawn(|| server.run(&spin))).collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    let refused = statuses.iter().filter(|(status, _)| *status == 429).count();
    assert!(refused >= 1, "{statuses:?}");
    for (status, report) in &statuses {
        if *status == 200 {
            assert_eq!(report["error"]["kind"], "timeout", "{report}");
        }
    }
    let (status, report) = server.run(r#"{"source": "return 'alive'"}"#);
    assert_eq!((status, &report["result"]), (200, &json!("alive")));
}

#[test]
fn a_client_that_hangs_up_does_not_free_its_slot_early() {
    let server = Server::start(&["--max-runs", "1", "--max-queue", "0"]);
    let spin = json!({
        "source": "while true do end",
        "limits": {"fuel": 100_000_000_000u64, "timeout": "2s"}
    })
    .to_string();
    let impatient = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(200)))
        .build()
        .new_agent();
    let hung_up = impatient
        .post(format!("{}/api/run", server.base))
        .header("content-type", "application/json")
        .send(&spin);
    assert!(hung_up.is_err(), "the client gave up before the run ended");
    // The run goes on for its 2 s and keeps the only slot meanwhile.
    let (status, _) = server.run(r#"{"source": "return 1"}"#);
    assert_eq!(status, 429);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(server.run(r#"{"source": "return 1"}"#).0, 200);
}

/// A minimal W3C WebDriver client over chromedriver.
struct Browser {
    driver: Child,
    base: String,
    agent: ureq::Agent,
}

impl Browser {
    fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; `make setup` installs it)");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let started = Instant::now();
        while browser
            .agent
            .get(format!("{}/status", browser.base))
            .call()
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let session = browser.post(
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": "/usr/bin/chromium",
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,860"]
                }
            }}}),
        );
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"));
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let mut response = self
            .agent
            .post(format!("{}{path}", self.base))
            .send_json(&body)
            .expect("webdriver");
        let reply: Value = response.body_mut().read_json().expect("webdriver json");
        reply["value"].clone()
    }

    fn get(&self, path: &str) -> Value {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .expect("webdriver");
        let reply: Value = response.body_mut().read_json().expect("webdriver json");
        reply["value"].clone()
    }

    fn element(&self, css: &str) -> String {
        let found = self.post("/element", json!({"using": "css selector", "value": css}));
        found["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string()
    }

    fn text(&self, css: &str) -> String {
        let element = self.element(css);
        self.get(&format!("/element/{element}/text"))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.post(&format!("/element/{element}/clear"), json!({}));
        self.post(
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        );
    }

    fn click(&self, css: &str) {
        let element = self.element(css);
        self.post(&format!("/element/{element}/click"), json!({}));
    }

    fn script(&self, code: &str) -> Value {
        self.post("/execute/sync", json!({"script": code, "args": []}))
    }

    /// Waits until `#status` leaves "running…" and returns it.
    fn wait_for_run(&self) -> String {
        let started = Instant::now();
        loop {
            let status = self.text("#status");
            if status == "ok" || status == "error" || status == "refused" {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the run never finished: {status}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.base).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn the_page_runs_scripts_shows_errors_and_stays_usable() {
    let server = Server::start(&["--scene", &scene_path()]);
    let browser = Browser::start();
    browser.post("/url", json!({ "url": format!("{}/", server.base) }));
    let started = Instant::now();
    while browser.script("return document.body.dataset.ready") != json!("true") {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the page never loaded its config"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    browser.type_into(
        "#editor",
        "function on_update()\n    print('hello from the page')\n    ecs.spawn{Position = {x = 7, y = 7}}\nend\n",
    );
    browser.click("#run");
    assert_eq!(browser.wait_for_run(), "ok", "{}", browser.text("#error"));
    assert!(browser.text("#console").contains("hello from the page"));
    let world = browser.text("#world");
    assert!(
        world.contains("player") && world.contains("\"x\":7"),
        "{world}"
    );
    browser.click("#step");
    browser.wait_for_run();
    // (`text` is the rendered text; the heading is upper-cased by CSS.)
    let tick = browser.script("return document.getElementById('tick').textContent");
    assert_eq!(tick, json!("after tick 2"));
    let rows = browser.script("return document.querySelectorAll('#timeline tbody tr').length");
    assert_eq!(rows, json!(2), "{}", browser.text("#timeline"));
    let waiting = browser
        .script("return document.querySelector('#timeline tbody tr td:nth-child(3)').textContent");
    assert_eq!(waiting, json!("1"), "the spawner's task waits");
    let types = browser.script("return document.getElementById('types').getAttribute('href')");
    assert_eq!(types, json!("/api/types"));

    browser.type_into("#fuel", "50000000");
    browser.type_into(
        "#editor",
        "local n = 0\nwhile true do\n    n = n + 1\nend\n",
    );
    browser.click("#run");
    assert_eq!(browser.wait_for_run(), "error");
    assert!(
        browser.text("#error").starts_with("fuel"),
        "{}",
        browser.text("#error")
    );
    let fuel_bar = browser.script("return document.querySelector('#fuel-bar div').style.width");
    assert_eq!(fuel_bar, json!("100%"));

    browser.type_into("#editor", "print('still here')\nerror('on line two')\n");
    browser.click("#run");
    browser.wait_for_run();
    assert!(browser.text("#console").contains("still here"));
    let error = browser.text("#error");
    assert!(
        error.contains("runtime") && error.contains("line 2"),
        "{error}"
    );
    let marked = browser.script("return document.querySelector('#gutter .bad')?.textContent");
    assert_eq!(marked, json!("2"), "the error line is marked in the gutter");

    let screenshot = browser.get("/screenshot");
    if let Some(png) = screenshot.as_str() {
        let target = concat!(env!("CARGO_TARGET_TMPDIR"), "/preview.b64");
        let _ = std::fs::write(target, png);
    }
}

/// Sends `request` (raw HTTP/1.1) to the server and returns the status code
/// of the answer (0 when the server closed the connection unanswered).
fn raw_status(server: &Server, request: &str) -> u16 {
    use std::io::{Read, Write};
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

fn post_run(host: &str, origin: Option<&str>, content_type: &str) -> String {
    let body = r#"{"source": "return 1"}"#;
    let origin = origin.map_or(String::new(), |origin| format!("Origin: {origin}\r\n"));
    format!(
        "POST /api/run HTTP/1.1\r\nHost: {host}\r\n{origin}Content-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn only_this_machines_own_pages_may_use_the_server() {
    let server = Server::start(&[]);
    let own = server.base.trim_start_matches("http://").to_string();
    let port = own.rsplit(':').next().unwrap().to_string();
    let localhost = format!("localhost:{port}");
    let json = "application/json";
    // The page's own requests, and a tool that sends no Origin.
    assert_eq!(raw_status(&server, &post_run(&own, None, json)), 200);
    let own_origin = format!("http://{localhost}");
    let own_page = post_run(
        &localhost,
        Some(&own_origin),
        "application/json; charset=utf-8",
    );
    assert_eq!(raw_status(&server, &own_page), 200);
    // A DNS-rebinding page names its own host; a cross-site page its origin.
    let rebound = format!("evil.example:{port}");
    assert_eq!(raw_status(&server, &post_run(&rebound, None, json)), 403);
    let config =
        format!("GET /api/config HTTP/1.1\r\nHost: {rebound}\r\nConnection: close\r\n\r\n");
    assert_eq!(raw_status(&server, &config), 403);
    let cross_site = post_run(&own, Some("https://evil.example"), json);
    assert_eq!(raw_status(&server, &cross_site), 403);
    let other_port = post_run(&own, Some("http://127.0.0.1:1"), json);
    assert_eq!(raw_status(&server, &other_port), 403);
    // A "simple" cross-site request cannot send JSON's content type.
    assert_eq!(
        raw_status(&server, &post_run(&own, None, "text/plain")),
        415
    );
    assert_eq!(
        raw_status(
            &server,
            &post_run(&own, None, "application/x-www-form-urlencoded")
        ),
        415
    );
}

#[test]
fn one_request_cannot_ask_for_too_many_scripts_too_much_memory_or_time() {
    let server = Server::start(&["--max-run-time", "1s"]);
    let many: Vec<Value> = (0..64)
        .map(|i| json!({"name": format!("e{i}"), "source": "x = 1"}))
        .collect();
    let (status, answer) =
        server.run(&json!({"source": "x = 1", "scene": {"entities": many}}).to_string());
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("at most 64"),
        "{answer}"
    );

    let few: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("e{i}"), "source": "x = 1"}))
        .collect();
    let heavy =
        json!({"source": "x = 1", "scene": {"entities": few}, "limits": {"memory": "64MiB"}});
    let (status, answer) = server.run(&heavy.to_string());
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("ask for 48MiB or less"),
        "{answer}"
    );

    let slow = json!({
        "source": "function on_update() for i = 1, 2e6 do end end",
        "scene": {"entities": []},
        "ticks": 10000,
    });
    let started = Instant::now();
    let (status, report) = server.run(&slow.to_string());
    assert_eq!(status, 200, "{report}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report["status"], "error");
    assert_eq!(report["error"]["kind"], "timeout", "{report}");
    assert!(report["ticks"].as_u64().unwrap() < 10000);
}

#[test]
fn slow_clients_and_idle_connections_cannot_hold_the_server() {
    use std::io::{Read, Write};
    let server = Server::start(&[]);
    let address = server.base.trim_start_matches("http://").to_string();
    // A client that never finishes its headers is cut off.
    let mut slow = std::net::TcpStream::connect(&address).expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: ").expect("send");
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let started = Instant::now();
    let _ = slow.read_to_end(&mut Vec::new());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    // Past the connection cap, new connections are closed at once; the
    // server answers again once the idle ones are gone.
    let idle: Vec<_> = (0..64)
        .map(|_| std::net::TcpStream::connect(&address).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = std::net::TcpStream::connect(&address).expect("connect");
    extra
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let _ = extra.write_all(b"GET / HTTP/1.1\r\n\r\n");
    let mut answer = Vec::new();
    // Closed unread: an end of stream, or a reset for the unread request.
    let read = extra.read_to_end(&mut answer);
    let closed = match &read {
        Ok(_) => true,
        Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(
        answer.is_empty() && closed,
        "the 65th connection was served: {read:?} {:?}",
        String::from_utf8_lossy(&answer)
    );
    drop(idle);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.run(r#"{"source": "return 1"}"#).0, 200);
}

#[test]
fn every_scene_script_counts_against_a_requests_budget_however_it_is_named() {
    let server = Server::start(&[]);
    // Many entities named `editor`: only the first runs the editor's
    // script, every one of them runs a script.
    let editors: Vec<Value> = (0..70)
        .map(|_| json!({"name": "editor", "source": "x = 1"}))
        .collect();
    let (status, answer) =
        server.run(&json!({"source": "x = 1", "scene": {"entities": editors}}).to_string());
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("would start 70 scripts"),
        "{answer}"
    );
    let editors: Vec<Value> = (0..8)
        .map(|_| json!({"name": "editor", "source": "x = 1"}))
        .collect();
    let heavy = json!({"source": "x = 1", "scene": {"entities": editors},
                       "limits": {"memory": "1GiB"}});
    let (status, answer) = server.run(&heavy.to_string());
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("8 scripts"),
        "{answer}"
    );
}

#[test]
fn the_run_time_budget_covers_loading_the_scripts() {
    let server = Server::start(&["--max-run-time", "1s"]);
    let spinners: Vec<Value> = (0..10)
        .map(|i| json!({"name": format!("spin{i}"), "source": "while true do end"}))
        .collect();
    let request = json!({
        "source": "x = 1",
        "scene": {"entities": spinners},
        "limits": {"fuel": 100_000_000_000u64, "timeout": "1s"},
    });
    let started = Instant::now();
    let (status, report) = server.run(&request.to_string());
    let took = started.elapsed();
    assert_eq!(status, 200, "{report}");
    assert!(took < Duration::from_secs(3), "answered after {took:?}");
    assert_eq!(report["error"]["kind"], "timeout", "{report}");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("while loading its scripts"),
        "{report}"
    );
    // A plain script's one call is cut to the run's budget too.
    let request = json!({"source": "while true do end",
                         "limits": {"fuel": 100_000_000_000u64, "timeout": "10s"}});
    let started = Instant::now();
    let (status, report) = server.run(&request.to_string());
    assert_eq!(status, 200, "{report}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report["error"]["kind"], "timeout", "{report}");
}

#[test]
fn a_body_declared_larger_than_the_cap_is_refused_at_once() {
    let server = Server::start(&[]);
    let own = server.base.trim_start_matches("http://").to_string();
    // The headers promise 100 MB and no byte of it follows.
    let request = format!(
        "POST /api/run HTTP/1.1\r\nHost: {own}\r\nContent-Type: application/json\r\n\
         Content-Length: 100000000\r\n\r\n"
    );
    let started = Instant::now();
    assert_eq!(raw_status(&server, &request), 413);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
