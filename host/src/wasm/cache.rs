//! The guest, compiled once per machine and kept on disk.
//!
//! Compiling the guest (pre-initialising it first, see `snapshot`) takes
//! about a second; loading the compiled
//! artifact takes about a millisecond. The file name holds the guest's hash
//! and wasmtime's compatibility hash (version and settings), so a new guest or
//! a new wasmtime never loads a stale artifact. Artifacts nobody loaded for
//! [`PRUNE_AFTER`] are removed when a new one is written, so upgrades do not
//! pile up old ones.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::sandbox::config::CacheDir;
use crate::sandbox::error::{Result, ScriptError};
use crate::wasm::preinit;

/// Where the component came from, for callers who want to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestOrigin {
    /// Compiled now (and written to this cache file, if caching is on and the
    /// write succeeded).
    Compiled {
        /// The file written, if any.
        cached_to: Option<PathBuf>,
    },
    /// Loaded from this cache file.
    Cache(PathBuf),
}

/// Loads the compiled guest from the cache, or compiles and caches it.
///
/// A cache that cannot be read or written is not an error: the guest is
/// compiled instead.
pub(crate) fn load_guest(
    engine: &Engine,
    guest: &[u8],
    guest_hash: &str,
    cache: &CacheDir,
) -> Result<(Component, GuestOrigin)> {
    let Some(dir) = cache_dir(cache) else {
        let guest = preinit::preinitialise(engine, guest)?;
        return Ok((
            compile(engine, &guest)?,
            GuestOrigin::Compiled { cached_to: None },
        ));
    };
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    // `p1`: the artifact is the pre-initialised guest (format 1).
    let path = dir.join(format!(
        "guest-{guest_hash}-p1-{:016x}.cwasm",
        hasher.finish()
    ));
    if path.is_file() {
        // SAFETY: the file is one this crate wrote (atomically, by rename)
        // into the user's own cache directory, under a name that pins the
        // guest and the engine's settings; wasmtime checks the header too.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
            mark_used(&path);
            return Ok((component, GuestOrigin::Cache(path)));
        }
    }
    let guest = preinit::preinitialise(engine, guest)?;
    let artifact = engine
        .precompile_component(&guest)
        .map_err(|error| engine_error("compiling the guest", error))?;
    // SAFETY: the bytes were produced just now by this engine.
    let component = unsafe { Component::deserialize(engine, &artifact) }
        .map_err(|error| engine_error("loading the compiled guest", error))?;
    let cached_to = write_atomically(&dir, &path, &artifact).then_some(path);
    if let Some(path) = &cached_to {
        prune(&dir, path, SystemTime::now());
    }
    Ok((component, GuestOrigin::Compiled { cached_to }))
}

/// How long a cached artifact (another guest's or another wasmtime's) may go
/// unloaded before a new artifact's write removes it.
const PRUNE_AFTER: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Marks `path` as loaded now (its modification time), so pruning keeps it.
/// Best effort: a read-only cache is still a cache.
fn mark_used(path: &Path) {
    if let Ok(file) = fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Whether `name` has the exact shape of a file this module writes: an
/// artifact `guest-<hex>-p<n>-<16 hex>.cwasm` or a temporary
/// `.tmp-<pid>-<16 hex>`. A shared cache directory may hold other tools'
/// files with similar names; those are never pruned.
fn written_by_luabox(name: &str) -> bool {
    let hex = |part: &str, len: Option<usize>| {
        !part.is_empty()
            && len.is_none_or(|len| part.len() == len)
            && part.bytes().all(|byte| byte.is_ascii_hexdigit())
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    if let Some(artifact) = name
        .strip_prefix("guest-")
        .and_then(|rest| rest.strip_suffix(".cwasm"))
    {
        let parts: Vec<&str> = artifact.split('-').collect();
        return matches!(parts.as_slice(), [guest, format, engine]
            if hex(guest, None)
                && format.strip_prefix('p').is_some_and(digits)
                && hex(engine, Some(16)));
    }
    if let Some(temporary) = name.strip_prefix(".tmp-") {
        return matches!(temporary.split_once('-'), Some((pid, suffix))
            if digits(pid) && hex(suffix, Some(16)));
    }
    false
}

/// Removes, from `dir`, this crate's artifacts (`guest-*.cwasm`) and
/// leftover temporary files (`.tmp-*`) not touched for [`PRUNE_AFTER`],
/// except `keep`. Other files are never touched; failures are ignored (a
/// file another process removed first, a read-only directory).
fn prune(dir: &Path, keep: &Path, now: SystemTime) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !written_by_luabox(&name) || path == keep {
            continue;
        }
        let stale = entry
            .metadata()
            .ok()
            .filter(|metadata| metadata.is_file())
            .and_then(|metadata| metadata.modified().ok())
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > PRUNE_AFTER);
        if stale {
            let _ = fs::remove_file(&path);
        }
    }
}

fn compile(engine: &Engine, guest: &[u8]) -> Result<Component> {
    Component::new(engine, guest).map_err(|error| engine_error("compiling the guest", error))
}

fn engine_error(what: &str, error: wasmtime::Error) -> ScriptError {
    ScriptError::Engine {
        message: format!("{what}: {error:#}"),
    }
}

fn cache_dir(cache: &CacheDir) -> Option<PathBuf> {
    match cache {
        CacheDir::Disabled => None,
        CacheDir::At(dir) => Some(dir.clone()),
        CacheDir::Default => {
            let from_env = |name| std::env::var_os(name).filter(|value| !value.is_empty());
            from_env("LUABOX_CACHE_DIR")
                .map(PathBuf::from)
                .or_else(|| from_env("XDG_CACHE_HOME").map(|dir| PathBuf::from(dir).join("luabox")))
                .or_else(|| from_env("HOME").map(|dir| PathBuf::from(dir).join(".cache/luabox")))
        }
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a
/// reader never sees half a file. Returns whether it worked.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> bool {
    let temporary = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        unique_suffix(path)
    ));
    let written = fs::create_dir_all(dir).is_ok()
        && fs::write(&temporary, bytes).is_ok()
        && fs::rename(&temporary, path).is_ok();
    if !written {
        let _ = fs::remove_file(&temporary);
    }
    written
}

fn unique_suffix(path: &Path) -> String {
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    std::thread::current().id().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
