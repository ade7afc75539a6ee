//! The `luabox` command's tests: `luabox run` (output, `--json`, exit codes,
//! `--help`, scenes, the README's demo), `luabox types`, and `luabox preview`
//! (the API and the page in headless Chromium).

mod preview;
mod run;
mod types;

/// A cache directory for the compiled guest, private to these tests.
pub fn test_cache() -> luabox::CacheDir {
    luabox::CacheDir::At(std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("luabox-cache"))
}
