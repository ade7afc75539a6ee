//! `luabox run hello.lua` as a whole process (guest already cached), against
//! starting a process that does nothing (`true`).
mod support;

use std::process::Command;

use support::{Row, Unit, interleaved, target_dir, time};

fn main() {
    let hello = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/hello.lua");
    let cache = target_dir().join("tmp/luabox-cache");
    let run = |command: &mut Command| {
        time(|| match command.output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => panic!("{command:?} failed: {output:?}"),
            Err(error) => panic!("{command:?}: {error}"),
        })
    };
    // The command is built by `make build` (crate luabox-cli).
    let luabox = target_dir().join("release/luabox");
    if !luabox.exists() {
        panic!("{} is missing: run `make build` first", luabox.display());
    }
    let (ours, theirs) = interleaved(
        31,
        || {
            run(Command::new(&luabox)
                .args(["run", hello])
                .env("LUABOX_CACHE_DIR", &cache))
        },
        || run(&mut Command::new("true")),
    );
    Row::new(
        "startup_cli",
        "startup: `luabox run hello.lua` (process)",
        Unit::Ms,
        ours,
        theirs,
    )
    .baseline("process (true)")
    .value_target(20.0)
    .report();
}
