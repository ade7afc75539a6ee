//! The guest is compiled once and then loaded from the cache.

use luabox::{CacheDir, EngineConfig, GuestOrigin, ScriptEngine};

fn engine_with_cache(dir: &std::path::Path) -> ScriptEngine {
    ScriptEngine::new(EngineConfig::default().with_cache(CacheDir::At(dir.to_path_buf()))).unwrap()
}

/// Starts an engine that must compile the guest into `dir`; the file written.
fn compile_into(dir: &std::path::Path) -> std::path::PathBuf {
    let GuestOrigin::Compiled {
        cached_to: Some(path),
    } = engine_with_cache(dir).guest_origin().clone()
    else {
        panic!("no cache file written");
    };
    path
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
    let path = compile_into(dir.path());
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

fn age(path: &std::path::Path, days: u64) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 24 * 60 * 60);
    std::fs::File::options()
        .append(true)
        .open(path)
        .unwrap()
        .set_modified(then)
        .unwrap();
}

fn days_since_modified(path: &std::path::Path) -> u64 {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    modified.elapsed().unwrap_or_default().as_secs() / (24 * 60 * 60)
}

#[test]
fn writing_an_artifact_prunes_ours_unused_for_a_month_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, days: u64| {
        let path = dir.path().join(name);
        std::fs::write(&path, b"old").unwrap();
        age(&path, days);
        path
    };
    let old_guest = file("guest-0000-p1-0000000000000000.cwasm", 60);
    let old_temporary = file(".tmp-1-0000000000000000", 60);
    let recent_guest = file("guest-1111-p1-0000000000000000.cwasm", 2);
    let foreign = [
        file("notes.txt", 60),
        file("guest-book.cwasm", 60),
        file(".tmp-editor-swap", 60),
    ];
    let written = compile_into(dir.path());
    assert!(written.is_file());
    assert!(!old_guest.exists());
    assert!(!old_temporary.exists());
    assert!(recent_guest.exists());
    for path in foreign {
        assert!(path.exists(), "{path:?}");
    }
}

#[test]
fn loading_an_artifact_marks_it_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = compile_into(dir.path());
    age(&path, 60);
    assert_eq!(days_since_modified(&path), 60);
    assert_eq!(
        engine_with_cache(dir.path()).guest_origin(),
        &GuestOrigin::Cache(path.clone())
    );
    assert_eq!(days_since_modified(&path), 0);
}
