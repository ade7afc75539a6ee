//! Names the embedded guest. The guest component is committed with the crate
//! (`guest/luabox_guest.wasm`, and `guest/luabox_guest_checked.wasm` with
//! Lua's API checks on for feature `api-checks`; both rebuilt by `make guest`
//! from `../guest`), so
//! building luabox needs no wasm toolchain: this step only hashes it for the
//! compiled-code cache key.

use std::env;
use std::fs;
use std::hash::{DefaultHasher, Hasher};
use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    // The guest the engine embeds (see `GUEST` in src/engine.rs).
    let file = if env::var_os("CARGO_FEATURE_API_CHECKS").is_some() {
        "guest/luabox_guest_checked.wasm"
    } else {
        "guest/luabox_guest.wasm"
    };
    let guest = manifest_dir.join(file);
    println!("cargo:rerun-if-changed={}", guest.display());
    let component = fs::read(&guest).unwrap_or_else(|error| {
        panic!(
            "cannot read the guest component {}: {error} (it is part of the crate; \
             `make guest` rebuilds it)",
            guest.display()
        )
    });
    let mut hasher = DefaultHasher::new();
    hasher.write(&component);
    println!("cargo:rustc-env=LUABOX_GUEST_HASH={:016x}", hasher.finish());
}
