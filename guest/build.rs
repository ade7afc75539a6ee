//! Builds PUC Lua 5.4 (from the `lua-src` crate) and the setjmp runtime for
//! the wasm guest, and links them with wasi-libc's pure parts.
//!
//! The C side is compiled for `wasm32-wasip1` (same C ABI as the Rust side's
//! `wasm32-unknown-unknown`) against wasi-libc's headers. Nothing here pulls
//! in WASI itself: the guest provides `time` and `arc4random`, and the tests
//! check that the finished component imports only luabox's own interfaces.
//!
//! Environment (all optional; the defaults are Debian's package paths):
//! `LUABOX_CLANG` (clang-22), `LUABOX_LLVM_AR` (llvm-ar-22),
//! `LUABOX_WASI_INCLUDE` (/usr/include/wasm32-wasi),
//! `LUABOX_WASI_LIB` (/usr/lib/wasm32-wasi); `LUABOX_API_CHECKS=1` builds
//! Lua with its API checks on, a failed check trapping (the guest tests and
//! fuzzers run).

use std::env;
use std::path::{Path, PathBuf};

/// Lowers setjmp/longjmp to standard wasm exception handling (exnref), the
/// form wasmtime accepts.
const SJLJ_FLAGS: &[&str] = &[
    "-mllvm",
    "-wasm-enable-sjlj",
    "-mllvm",
    "-wasm-use-legacy-eh=false",
];

/// Lua's stack limit in slots (see `c/include/luabox_user.h`): reached well
/// within a 4 MiB memory cap, so runaway recursion ends as "stack overflow".
/// The Rust glue gets the same number (`src/lua.rs`).
const LUA_MAX_STACK: u32 = 50_000;

fn setting(name: &str, default: &str) -> String {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).unwrap_or_else(|_| default.to_string())
}

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    if target != "wasm32-unknown-unknown" {
        panic!(
            "luabox-guest only builds for wasm32-unknown-unknown (got `{target}`); \
             use `make guest`"
        );
    }
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let clang = setting("LUABOX_CLANG", "clang-22");
    let llvm_ar = setting("LUABOX_LLVM_AR", "llvm-ar-22");
    let wasi_include = setting("LUABOX_WASI_INCLUDE", "/usr/include/wasm32-wasi");
    let wasi_lib = setting("LUABOX_WASI_LIB", "/usr/lib/wasm32-wasi");
    let our_include = manifest_dir.join("c/include");
    for header_dir in [Path::new(&wasi_include), Path::new(&wasi_lib)] {
        if !header_dir.exists() {
            panic!(
                "{} is missing: install Debian's wasi-libc package (`make setup`)",
                header_dir.display()
            );
        }
    }

    // Our <setjmp.h> first, then wasi-libc's headers; never the host's glibc.
    // Paths remapped (as `make guest` does for Rust) so the build is the same
    // on every machine.
    let workspace = manifest_dir.join("..");
    let cargo_home = env::var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|_| env::var("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_default();
    // The guest the tests and fuzzers run has Lua's API checks on
    // (c/include/luabox_user.h); `make guest` builds it beside the shipped
    // one.
    let api_checks = if setting("LUABOX_API_CHECKS", "0") == "1" {
        " -DLUABOX_API_CHECKS"
    } else {
        ""
    };
    let include_flags = format!(
        "-nostdlibinc -isystem {} -isystem {} -DLUA_USER_H=\"luabox_user.h\" \
         -DLUABOX_MAXSTACK={LUA_MAX_STACK}{api_checks} -ffile-prefix-map={}=/luabox \
         -ffile-prefix-map={}=/cargo",
        our_include.display(),
        wasi_include,
        workspace.display(),
        cargo_home.display(),
    );
    // `lua-src` drives `cc`, which reads these per-target variables.
    // Lua's own tunables: only the stack limit (luabox_user.h); the other
    // limits are enforced by the host.
    // SAFETY: build scripts are single-threaded; nothing else reads the
    // environment concurrently.
    unsafe {
        env::set_var("CC_wasm32_wasip1", &clang);
        env::set_var("AR_wasm32_wasip1", &llvm_ar);
        env::set_var("CFLAGS_wasm32_wasip1", &include_flags);
    }
    let lua = lua_src::Build::new()
        .target("wasm32-wasip1")
        .host(&env::var("HOST").unwrap())
        .out_dir(out_dir.join("lua"))
        .debug(env::var("PROFILE").as_deref() == Ok("debug"))
        .build(lua_src::Lua54);

    cc::Build::new()
        .compiler(&clang)
        .archiver(&llvm_ar)
        .target("wasm32-wasip1")
        .flag("-nostdlibinc")
        .flag("-isystem")
        .flag(our_include.to_str().unwrap())
        .flag("-isystem")
        .flag(&wasi_include)
        .flags(SJLJ_FLAGS)
        .flag("-mllvm")
        .flag("-wasm-enable-eh")
        .file(manifest_dir.join("c/sjlj.c"))
        .file(manifest_dir.join("c/nostdio.c"))
        .cargo_metadata(false)
        .out_dir(out_dir.join("c"))
        .compile("luabox_c");

    println!("cargo:rustc-link-search=native={}", lua.lib_dir().display());
    // `lua-src` names the Lua 5.4 archive `liblua5.4.a`.
    println!("cargo:rustc-link-lib=static=lua5.4");
    println!(
        "cargo:rustc-link-search=native={}",
        out_dir.join("c").display()
    );
    // Before libc: our stdio stand-ins must win over wasi-libc's.
    println!("cargo:rustc-link-lib=static=luabox_c");
    println!("cargo:rustc-link-search=native={wasi_lib}");
    println!("cargo:rustc-link-lib=static=c");
    std::fs::write(
        out_dir.join("lua_limits.rs"),
        format!(
            "/// Lua's stack limit, as `build.rs` builds Lua.\n\
             pub const LUAI_MAXSTACK: std::ffi::c_int = {LUA_MAX_STACK};\n"
        ),
    )
    .unwrap();
    println!("cargo:rerun-if-changed=c");
    println!("cargo:rerun-if-changed=build.rs");
}
