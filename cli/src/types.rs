//! `luabox types`: editor types (LuaLS annotations) for the Lua API a script
//! has, with a class per component of a scene.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use luabox::Annotations;

use super::exit;

#[derive(Args, Debug)]
pub(crate) struct TypesArgs {
    /// A scene whose components get a class each, shaped like their values.
    #[arg(long, value_name = "SCENE.json")]
    scene: Option<PathBuf>,
    /// Where to write the annotations (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: &TypesArgs) -> u8 {
    let annotations = match args.scene.as_deref().map(super::load_scene).transpose() {
        Ok(Some(scene)) => scene.annotations(),
        Ok(None) => Annotations::new(),
        Err(code) => return code,
    };
    let text = annotations.render();
    match &args.output {
        // The folder is made if it is missing (`-o types/luabox.d.lua`).
        Some(path) => match path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, text))
        {
            Ok(()) => exit::OK,
            Err(error) => {
                eprintln!("luabox: cannot write {}: {error}", path.display());
                exit::USAGE
            }
        },
        None => {
            let written = std::io::stdout().lock().write_all(text.as_bytes());
            super::terminal::output_failed(written).unwrap_or(exit::OK)
        }
    }
}
