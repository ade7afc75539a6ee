//! `luabox types`: the annotations file for a scene, on stdout or in a file,
//! and a clear refusal for a bad scene.

use std::process::Command;

fn luabox(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_luabox"))
        .args(args)
        .output()
        .expect("run luabox")
}

fn example_scene() -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scene/scene.json");
    path.to_str().unwrap().to_string()
}

#[test]
fn types_for_the_example_scene_type_its_components() {
    let dir = tempfile::tempdir().unwrap();
    // The folder is made when missing, as in the README's example.
    let out = dir.path().join("types").join("luabox.d.lua");
    let output = luabox(&[
        "types",
        "--scene",
        &example_scene(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("---@meta luabox\n"));
    assert!(text.contains("---@class Position\n---@field x number\n---@field y number\n"));
    assert!(text.contains("---@class Velocity\n"));
    assert!(text.contains("function task.wait(seconds) end"));

    // Without --scene, on standard output: the API without components.
    let output = luabox(&["types"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("---@alias ComponentName string\n"), "{text}");
    assert!(!text.contains("---@class"));
}

#[test]
fn a_bad_scene_is_refused_naming_where() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("scene.json");
    std::fs::write(&scene, r#"{"entities": [{"components": 3}]}"#).unwrap();
    let output = luabox(&["types", "--scene", scene.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("scene.json") && stderr.contains("entities[0].components"),
        "{stderr}"
    );
}
