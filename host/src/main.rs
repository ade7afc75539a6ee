//! The `luabox` command: run Lua scripts in the sandbox.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
