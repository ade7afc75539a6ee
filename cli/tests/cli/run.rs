//! `luabox run`: output, `--json`, exit codes, `--help`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::test_cache;

fn luabox(args: &[&str]) -> Output {
    let luabox::CacheDir::At(cache) = test_cache() else {
        unreachable!()
    };
    Command::new(env!("CARGO_BIN_EXE_luabox"))
        .args(args)
        .env("LUABOX_CACHE_DIR", cache)
        .output()
        .expect("run luabox")
}

fn script(dir: &Path, name: &str, source: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, source).unwrap();
    path
}

fn json_run(path: &Path, extra: &[&str]) -> (Value, i32) {
    let mut args = vec!["run", path.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let output = luabox(&args);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "exactly one JSON object: {stdout}"
    );
    (
        serde_json::from_str(&stdout).unwrap(),
        output.status.code().unwrap(),
    )
}

#[test]
fn json_report_of_a_good_script() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "hello.lua",
        "print('hi', 1)\nprint('a\\nb')\nreturn 1, {x = true}",
    );
    let (report, code) = json_run(&path, &[]);
    assert_eq!(code, 0);
    assert_eq!(report["status"], "ok");
    assert_eq!(report["output"], json!(["hi\t1", "a", "b"]));
    assert_eq!(report["result"], json!([1, {"x": true}]));
    assert_eq!(report["error"], Value::Null);
    assert!(report["fuel_used"].as_u64().unwrap() > 0);
    assert!(report["memory_peak_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn json_report_of_a_runtime_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "bad.lua",
        "print('before')\nlocal t = nil\nreturn t.x\n",
    );
    let (report, code) = json_run(&path, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["status"], "error");
    assert_eq!(report["output"], json!(["before"]));
    let error = &report["error"];
    assert_eq!(error["kind"], "runtime");
    assert_eq!(error["line"], 3);
    let name = path.display().to_string();
    assert_eq!(
        error["message"],
        format!("{name}:3: attempt to index a nil value (local 't')")
    );
    assert!(
        error["traceback"]
            .as_str()
            .unwrap()
            .contains("in main chunk")
    );
}

#[test]
fn exit_codes_follow_the_kind_of_failure() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("syntax.lua", "x = = 1", &[][..], 1, "syntax"),
        (
            "escape.lua",
            "os.execute('echo ESCAPED')",
            &[][..],
            1,
            "runtime",
        ),
        (
            "spin.lua",
            "while true do end",
            &["--fuel", "10000000"][..],
            3,
            "fuel",
        ),
        (
            "hog.lua",
            "local s = 'x' while true do s = s .. s end",
            &["--memory", "8MiB"][..],
            3,
            "memory",
        ),
        (
            "slow.lua",
            "while true do end",
            &["--fuel", "100000000000000", "--timeout", "100ms"][..],
            3,
            "timeout",
        ),
        (
            "deep.lua",
            "local function f(n) return 1 + f(n + 1) end return f(1)",
            &[][..],
            3,
            "stack",
        ),
        (
            "chatty.lua",
            "for i = 1, 100 do print(i) end",
            &["--max-output-lines", "10"][..],
            3,
            "output",
        ),
    ];
    for (name, source, flags, expected_code, kind) in cases {
        let path = script(dir.path(), name, source);
        let (report, code) = json_run(&path, flags);
        assert_eq!(code, expected_code, "{name}: {report}");
        assert_eq!(report["error"]["kind"], kind, "{name}: {report}");
        assert!(!report["output"].to_string().contains("ESCAPED"));
    }
}

#[test]
fn plain_mode_prints_output_then_the_error_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(dir.path(), "boom.lua", "print('out')\nerror('boom')\n");
    let output = luabox(&["run", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "out\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let name = path.display();
    assert!(
        stderr.starts_with(&format!(
            "error (runtime): {name}:2: boom\nstack traceback:"
        )),
        "{stderr}"
    );
}

#[test]
fn usage_and_io_errors_exit_with_2() {
    let missing = luabox(&["run", "/nonexistent/missing.lua"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/missing.lua")
    );

    let dir = tempfile::tempdir().unwrap();
    let path = script(dir.path(), "ok.lua", "return 1");
    for bad in [
        &["--memory", "12XB"][..],
        &["--memory", "0"][..],
        &["--timeout", "5"][..],
        &["--timeout", "0ms"][..],
        &["--fuel", "lots"][..],
        &["--fuel", "0"][..],
        &["--max-recursion-depth", "0"][..],
        &["--ticks", "3"][..],
    ] {
        let mut args = vec!["run", path.to_str().unwrap()];
        args.extend_from_slice(bad);
        let output = luabox(&args);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        assert!(!output.stderr.is_empty());
    }
    // Out-of-range limits are the library's refusals (Limits::validate),
    // named by their flag, for a script and for a scene alike.
    for (flag, value, expected) in [
        ("--memory", "0", "--memory: must be more than zero bytes"),
        ("--timeout", "0ms", "--timeout: must be more than zero"),
        ("--timeout", "100000s", "--timeout: must be at most 86400 s"),
        ("--fuel", "0", "--fuel: must be at least 1"),
    ] {
        let output = luabox(&["run", path.to_str().unwrap(), flag, value]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(expected), "{flag} {value}: {stderr}");
    }
}

#[test]
fn help_explains_every_limit_and_its_default() {
    let output = luabox(&["run", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--fuel",
        "5000000000",
        "--memory",
        "64MiB",
        "--timeout",
        "1s",
        "--max-recursion-depth",
        "--max-output",
        "1MiB",
        "--max-output-lines",
        "10000",
        "--json",
    ] {
        assert!(help.contains(expected), "--help lacks {expected}:\n{help}");
    }
}

#[test]
fn a_scene_runs_its_ticks_and_reports_world_and_scripts() {
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "mover.lua",
        "function on_update(dt) local p = ecs.get(entity, 'Position') local v = ecs.get(entity, 'Velocity')
         ecs.insert(entity, 'Position', {x = p.x + v.x * dt, y = p.y + v.y * dt}) end",
    );
    script(
        dir.path(),
        "broken.lua",
        "function on_update() error('nope') end",
    );
    let scene = script(
        dir.path(),
        "scene.json",
        r#"{"entities": [
            {"name": "player", "components": {"Position": {"x": 0, "y": 0}, "Velocity": {"x": 1, "y": 2}},
             "script": "mover.lua",
             "permissions": {"read": ["Position", "Velocity"], "write": ["Position"], "spawn": false, "despawn": false}},
            {"name": "crate", "components": {"Position": {"x": 5, "y": 5}}, "script": "broken.lua"},
            {"components": {"Tag": "plain"}}
        ]}"#,
    );
    let output = luabox(&[
        "run",
        "--scene",
        scene.to_str().unwrap(),
        "--ticks",
        "3",
        "--dt",
        "0.5",
        "--json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let entities = report["world"]["entities"].as_array().unwrap();
    assert_eq!(entities.len(), 3);
    assert_eq!(entities[0]["name"], "player");
    assert_eq!(
        entities[0]["components"]["Position"],
        json!({"x": 1.5, "y": 3.0})
    );
    assert_eq!(
        entities[1]["components"]["Position"],
        json!({"x": 5, "y": 5})
    );
    assert_eq!(entities[2]["name"], Value::Null);
    assert_eq!(entities[2]["components"]["Tag"], "plain");
    let scripts = report["scripts"].as_array().unwrap();
    assert_eq!(scripts[0]["status"], "ok");
    assert!(scripts[0]["fuel_used"].as_u64().unwrap() > 0);
    assert_eq!(scripts[1]["status"], "error");
    assert_eq!(scripts[1]["errors"].as_array().unwrap().len(), 3);
    assert_eq!(scripts[1]["errors"][0]["kind"], "runtime");
    assert_eq!(scripts[1]["errors"][0]["line"], 1);
}

#[test]
fn a_scene_script_without_permission_reports_kind_permission() {
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "thief.lua",
        "function on_update() return ecs.get(entity, 'Gold') end",
    );
    let scene = script(
        dir.path(),
        "scene.json",
        r#"{"entities": [{"components": {"Gold": 100}, "script": "thief.lua"}]}"#,
    );
    let output = luabox(&["run", "--scene", scene.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["scripts"][0]["errors"][0]["kind"], "permission");
    assert_eq!(report["world"]["entities"][0]["components"]["Gold"], 100);
}

#[test]
fn a_malformed_scene_names_the_json_path_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            r#"{"entities": [{"permissions": {"spawn": "yes"}}]}"#,
            "entities[0].permissions.spawn",
        ),
        (r#"{"entities": [{"colour": 1}]}"#, "entities[0]"),
        (
            r#"{"entities": [{"script": "missing.lua"}]}"#,
            "entities[0].script",
        ),
        (r#"{"entities": [ }"#, "line 1"),
    ];
    for (text, expected) in cases {
        let scene = script(dir.path(), "bad.json", text);
        let output = luabox(&["run", "--scene", scene.to_str().unwrap(), "--json"]);
        assert_eq!(output.status.code(), Some(2), "{text}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("bad.json") && stderr.contains(expected),
            "{text}: {stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn plain_mode_shows_control_characters_escaped_unless_raw() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "escape.lua",
        "print('\\27[2J\\27[Hall clear', 'tab\\tkept')\nerror('\\27[31mfake\\rresult', 0)",
    );
    let plain = luabox(&["run", path.to_str().unwrap()]);
    let stdout = String::from_utf8(plain.stdout).unwrap();
    let stderr = String::from_utf8(plain.stderr).unwrap();
    assert_eq!(stdout, "\\27[2J\\27[Hall clear\ttab\tkept\n");
    assert!(stderr.contains("\\27[31mfake\\13result"), "{stderr}");
    assert!(!stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'));

    let raw = luabox(&["run", path.to_str().unwrap(), "--raw"]);
    let stdout = String::from_utf8(raw.stdout).unwrap();
    assert_eq!(stdout, "\u{1b}[2J\u{1b}[Hall clear\ttab\tkept\n");
    assert!(
        String::from_utf8(raw.stderr)
            .unwrap()
            .contains("\u{1b}[31mfake\rresult")
    );

    // JSON escapes them itself.
    let (report, _) = json_run(&path, &[]);
    assert_eq!(report["output"][0], "\u{1b}[2J\u{1b}[Hall clear\ttab\tkept");
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "many.lua",
        "for i = 1, 5000 do print(i) end return 1",
    );
    for extra in [&[][..], &["--json"][..]] {
        let luabox::CacheDir::At(cache) = test_cache() else {
            unreachable!()
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_luabox"))
            .args(["run", path.to_str().unwrap()])
            .args(extra)
            .env("LUABOX_CACHE_DIR", cache)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away at once, like `| head -0`.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(output.status.code(), Some(0), "{stderr}");
    }
}

#[test]
fn output_that_cannot_be_written_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(dir.path(), "hello.lua", "print('hello') return 1");
    let scene = dir.path().join("scene.json");
    std::fs::write(
        &scene,
        r#"{"entities": [{"name": "a", "components": {}, "source": "print('tick')"}]}"#,
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let scene = scene.to_str().unwrap();
    for args in [
        &["run", path][..],
        &["run", path, "--json"][..],
        &["run", "--scene", scene][..],
        &["run", "--scene", scene, "--json"][..],
        &["types"][..],
    ] {
        let luabox::CacheDir::At(cache) = test_cache() else {
            unreachable!()
        };
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_luabox"))
            .args(args)
            .env("LUABOX_CACHE_DIR", cache)
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write the output: No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_scene_time_step_must_be_a_finite_number_of_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("scene.json");
    std::fs::write(&scene, r#"{"entities": []}"#).unwrap();
    for dt in ["nan", "inf", "-1"] {
        let output = luabox(&[
            "run",
            "--scene",
            scene.to_str().unwrap(),
            &format!("--dt={dt}"),
        ]);
        assert_eq!(output.status.code(), Some(2), "{dt}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("is not a time step"),
            "{dt}"
        );
    }
    let output = luabox(&["run", "--scene", scene.to_str().unwrap(), "--dt", "0.5"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn the_readme_demo_is_what_make_run_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block = readme
        .split_once("## The demo (`make run`)")
        .and_then(|(_, rest)| rest.split_once("```text\n"))
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .expect("the README has a demo block");
    let luabox::CacheDir::At(cache) = test_cache() else {
        unreachable!()
    };
    let commands = std::fs::read_to_string(root.join("examples/demo.commands")).unwrap();
    let mut printed = String::new();
    // What the Makefile's `run` target does, line for line.
    for arguments in commands.lines() {
        let shell = format!(
            "{} {arguments} 2>&1; echo \"   (exit code $?)\"",
            env!("CARGO_BIN_EXE_luabox")
        );
        let output = Command::new("sh")
            .args(["-c", &shell])
            .current_dir(&root)
            .env("LUABOX_CACHE_DIR", &cache)
            .output()
            .expect("run the demo");
        printed.push_str(&format!("== luabox {arguments}\n"));
        printed.push_str(&String::from_utf8(output.stdout).unwrap());
    }
    assert_eq!(
        block, printed,
        "the README's demo is not what `make run` prints"
    );
}

#[test]
fn plain_mode_prints_every_line_allowed_as_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "many.lua",
        "for i = 1, 20000 do print('line ' .. i) end",
    );
    let output = luabox(&[
        "run",
        path.to_str().unwrap(),
        "--max-output-lines",
        "1000000",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 20_000);
    assert_eq!(stdout.lines().last(), Some("line 20000"));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A line shows while the script still runs (here until its timeout).
    use std::io::{BufRead, BufReader};
    let path = script(dir.path(), "slow.lua", "print('first') while true do end");
    let luabox::CacheDir::At(cache) = test_cache() else {
        unreachable!()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_luabox"))
        .args([
            "run",
            path.to_str().unwrap(),
            "--fuel",
            "1000000000000",
            "--timeout",
            "5s",
        ])
        .env("LUABOX_CACHE_DIR", cache)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(first, "first\n");
    assert!(running, "the line came only after the script ended");
}

/// The fuel a demo command may give a script that must end on fuel, per
/// second of its timeout: this machine runs about 8·10⁹ a second, so the
/// demo ends on fuel on a machine 80 times slower.
const DEMO_FUEL_PER_TIMEOUT_SECOND: f64 = 1e8;

#[test]
fn the_demo_ends_on_fuel_whatever_the_machines_speed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let commands = std::fs::read_to_string(root.join("examples/demo.commands")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut fuel_commands = 0;
    for arguments in commands.lines() {
        let shown = readme
            .split_once(&format!("== luabox {arguments}\n"))
            .map(|(_, rest)| rest.lines().next().unwrap_or(""))
            .expect("the README shows every demo command");
        if !shown.starts_with("error (fuel)") {
            continue;
        }
        fuel_commands += 1;
        let words: Vec<&str> = arguments.split_whitespace().collect();
        let flag = |name: &str| {
            words
                .iter()
                .position(|word| *word == name)
                .map(|at| words[at + 1])
        };
        let fuel: f64 = flag("--fuel").map_or(luabox::Limits::default().fuel as f64, |fuel| {
            fuel.parse().unwrap()
        });
        let timeout = flag("--timeout").map_or(1.0, |timeout| {
            timeout.trim_end_matches('s').parse::<f64>().unwrap()
        });
        assert!(
            fuel / timeout <= DEMO_FUEL_PER_TIMEOUT_SECOND,
            "`{arguments}` gives {fuel} fuel in {timeout} s: a busy machine ends it on its timeout"
        );
    }
    assert!(fuel_commands > 0);
}
