//! `luabox-componentize CORE.wasm COMPONENT.wasm`: turns the guest's core
//! module (as cargo links it and wasm-opt optimises it) into the component
//! the `luabox` crate embeds. `make guest` runs it; its output is committed
//! (`host/guest/luabox_guest.wasm`), so building luabox needs no wasm
//! toolchain and no wit-component.

use std::process::ExitCode;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [core_path, component_path] = arguments.as_slice() else {
        eprintln!("usage: luabox-componentize CORE.wasm COMPONENT.wasm");
        return ExitCode::from(2);
    };
    let core = match std::fs::read(core_path) {
        Ok(core) => core,
        Err(error) => {
            eprintln!("luabox-componentize: cannot read {core_path}: {error}");
            return ExitCode::from(2);
        }
    };
    let component = wit_component::ComponentEncoder::default()
        .module(&core)
        .and_then(|encoder| encoder.validate(true).encode());
    let component = match component {
        Ok(component) => component,
        Err(error) => {
            eprintln!("luabox-componentize: cannot make a component of {core_path}: {error:?}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = std::fs::write(component_path, component) {
        eprintln!("luabox-componentize: cannot write {component_path}: {error}");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
