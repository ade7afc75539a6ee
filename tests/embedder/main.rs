//! luabox as an embedder uses it: a crate outside this workspace, with its
//! own `Cargo.toml` and a path dependency on `luabox`, built with the wasm C
//! toolchain out of reach (`LUABOX_CLANG=false`; no wasm32 target is needed,
//! since the guest is committed with the crate), runs a script.
//!
//! The embedder builds into `target/embedder` with this workspace's
//! `Cargo.lock`, so after the first run its dependencies are reused.

use std::path::Path;
use std::process::Command;

const MAIN: &str = r#"
use luabox::{CacheDir, EngineConfig, Limits, ScriptConfig, ScriptEngine};

fn main() -> Result<(), luabox::ScriptError> {
    let cache = std::env::args().nth(1).map_or(CacheDir::Default, |dir| CacheDir::At(dir.into()));
    let engine = ScriptEngine::new(EngineConfig::default().with_cache(cache))?;
    let config = ScriptConfig::default().with_limits(Limits::default().with_fuel(100_000_000));
    let mut script = engine.instantiate("embedded.lua", &config)?;
    let value = script.eval::<i64>("local t = {} for i = 1, 10 do t[i] = i * i end print('from Lua') return t[10]")?;
    for message in script.take_output() {
        println!("{message}");
    }
    println!("{value}");
    script.run("function greet(who) return 'hello ' .. who end")?;
    println!("{}", script.call::<String>("greet", ("embedder",))?);
    Ok(())
}
"#;

#[test]
fn a_crate_outside_the_workspace_builds_luabox_without_a_wasm_toolchain_and_runs_a_script() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = workspace.canonicalize().expect("workspace");
    let crate_dir = tempfile::tempdir().expect("temporary directory");
    let manifest = format!(
        "[package]\nname = \"luabox-embedder\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nluabox = {{ path = {:?} }}\n\n[workspace]\n",
        workspace.join("host")
    );
    std::fs::write(crate_dir.path().join("Cargo.toml"), manifest).expect("Cargo.toml");
    std::fs::create_dir(crate_dir.path().join("src")).expect("src");
    std::fs::write(crate_dir.path().join("src/main.rs"), MAIN).expect("main.rs");
    // The same dependency versions as this workspace (so the build reuses
    // target/embedder from earlier runs).
    std::fs::copy(
        workspace.join("Cargo.lock"),
        crate_dir.path().join("Cargo.lock"),
    )
    .expect("Cargo.lock");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("luabox-cache");
    let output = Command::new(cargo)
        .args(["run", "--release", "--quiet", "--"])
        .arg(&cache)
        .current_dir(crate_dir.path())
        .env("CARGO_TARGET_DIR", workspace.join("target/embedder"))
        .env("LUABOX_CLANG", "false")
        .env("LUABOX_LLVM_AR", "false")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the embedder failed:\n{stdout}\n{stderr}"
    );
    assert_eq!(stdout, "from Lua\n100\nhello embedder\n", "{stderr}");
}
