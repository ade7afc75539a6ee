//! Turns the guest's core wasm module into a component and hands it to the
//! crate (`include_bytes!`), so an engine embedding luabox needs no wasm C
//! toolchain: only this build step reads the guest.
//!
//! The core module comes from `LUABOX_GUEST_WASM`, or else from the
//! workspace's `target/guest/luabox_guest.wasm`, which `make guest` builds
//! (the guest as cargo links it, optimised by wasm-opt).

use std::env;
use std::fs;
use std::hash::{DefaultHasher, Hasher};
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LUABOX_GUEST_WASM");
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let core_path = env::var_os("LUABOX_GUEST_WASM").map_or_else(
        || manifest_dir.join("../target/guest/luabox_guest.wasm"),
        PathBuf::from,
    );
    println!("cargo:rerun-if-changed={}", core_path.display());
    let core = fs::read(&core_path).unwrap_or_else(|error| {
        panic!(
            "cannot read the guest module {}: {error}\n\
             build it first with `make guest` (or set LUABOX_GUEST_WASM)",
            core_path.display()
        )
    });
    let component = wit_component::ComponentEncoder::default()
        .module(&core)
        .and_then(|encoder| encoder.validate(true).encode())
        .unwrap_or_else(|error| {
            panic!(
                "cannot make a component of {}: {error:?}",
                core_path.display()
            )
        });

    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out_dir.join("luabox_guest.component.wasm"), &component).unwrap();
    // A stable name for the guest, part of the compiled-artifact cache key.
    let mut hasher = DefaultHasher::new();
    hasher.write(&component);
    println!("cargo:rustc-env=LUABOX_GUEST_HASH={:016x}", hasher.finish());
}
