//! The guest is compiled once and then loaded from the cache.

use luabox::{CacheDir, EngineConfig, GuestOrigin, ScriptEngine};

fn engine_with_cache(dir: &std::path::Path) -> ScriptEngine {
    ScriptEngine::new(EngineConfig {
        cache: CacheDir::At(dir.to_path_buf()),
        ..EngineConfig::default()
    })
    .unwrap()
}

#[test]
fn a_second_engine_loads_the_guest_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let first = engine_with_cache(dir.path());
    let GuestOrigin::Compiled {
        cached_to: Some(path),
    } = first.guest_origin().clone()
    else {
        panic!(
            "first start must compile and cache, got {:?}",
            first.guest_origin()
        );
    };
    assert!(path.starts_with(dir.path()));
    let second = engine_with_cache(dir.path());
    assert_eq!(second.guest_origin(), &GuestOrigin::Cache(path));
    assert_eq!(second.run("a.lua", "return 1 + 2").unwrap(), 3);
}

#[test]
fn a_corrupt_cache_file_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let GuestOrigin::Compiled {
        cached_to: Some(path),
    } = engine_with_cache(dir.path()).guest_origin().clone()
    else {
        panic!("no cache file written");
    };
    std::fs::write(&path, b"not a compiled component").unwrap();
    let engine = engine_with_cache(dir.path());
    assert!(matches!(
        engine.guest_origin(),
        GuestOrigin::Compiled { cached_to: Some(_) }
    ));
    assert_eq!(engine.run("b.lua", "return 'ok'").unwrap(), "ok");
    assert!(matches!(
        engine_with_cache(dir.path()).guest_origin(),
        GuestOrigin::Cache(_)
    ));
}
