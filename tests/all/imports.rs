//! The guest imports nothing but luabox's own WIT interfaces: no WASI, so a
//! script has no way to name a file, a socket or a clock.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::support::engine;

/// `luabox:sandbox/NAME@VERSION` for every interface declared in `wit/`.
fn interfaces_in_wit() -> BTreeSet<String> {
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("wit");
    let mut names = BTreeSet::new();
    for entry in fs::read_dir(&wit).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap();
        let package = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("package "))
            .map(|rest| rest.trim_end_matches(';').to_string())
            .unwrap();
        let (namespace_and_name, version) = package.split_once('@').unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("interface ") {
                let interface = rest.trim_end_matches('{').trim();
                names.insert(format!("{namespace_and_name}/{interface}@{version}"));
            }
        }
    }
    names
}

#[test]
fn the_guest_imports_only_interfaces_declared_in_wit() {
    let allowed = interfaces_in_wit();
    assert!(
        allowed.contains("luabox:sandbox/console@0.1.0"),
        "{allowed:?}"
    );
    let imports = engine().guest_imports();
    assert!(!imports.is_empty());
    for import in &imports {
        assert!(
            allowed.contains(import),
            "unexpected import {import}; allowed: {allowed:?}"
        );
        assert!(!import.starts_with("wasi:"), "{import}");
    }
}
