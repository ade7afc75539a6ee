//! Fuel, memory, stack, time and output limits end a script, and only it.

use std::time::{Duration, Instant};

use luabox::{EngineConfig, Limit, Limits, ScriptConfig, ScriptEngine, ScriptError};
use serde_json::json;

use crate::support::{engine, run, run_with, test_cache};

fn small_fuel() -> Limits {
    Limits::default().with_fuel(50_000_000)
}

#[test]
fn infinite_loop_runs_out_of_fuel() {
    run_with(small_fuel(), "while true do end").assert_limit(Limit::Fuel);
}

#[test]
fn busy_numeric_loop_runs_out_of_fuel() {
    let outcome = run_with(
        small_fuel(),
        "local x = 0 for i = 1, 1e12 do x = x + i * 2 end return x",
    );
    outcome.assert_limit(Limit::Fuel);
}

#[test]
fn catastrophic_pattern_runs_out_of_fuel() {
    let outcome = run_with(
        small_fuel(),
        r#"return (("a"):rep(40)):find(("a*"):rep(40) .. "b")"#,
    );
    outcome.assert_limit(Limit::Fuel);
}

#[test]
fn host_runs_another_script_after_a_fuel_trap() {
    run_with(small_fuel(), "while true do end").assert_limit(Limit::Fuel);
    assert_eq!(run("return 6 * 7").value(), 42);
}

#[test]
fn a_trapped_instance_is_never_called_again() {
    let mut outcome = run_with(small_fuel(), "while true do end");
    outcome.assert_limit(Limit::Fuel);
    assert_eq!(outcome.instance.terminated(), Some(luabox::ErrorKind::Fuel));
    let again = outcome.instance.run("return 1").unwrap_err();
    assert!(matches!(again, ScriptError::Terminated { .. }), "{again:?}");
}

fn capped(memory: usize) -> Limits {
    Limits::default().with_memory(memory)
}

const CAP: usize = 16 << 20;

#[test]
fn table_growth_hits_the_memory_cap() {
    let outcome = run_with(capped(CAP), "local t = {} for i = 1, 1e9 do t[i] = {i} end");
    outcome.assert_limit(Limit::Memory);
    assert!(outcome.instance.memory_peak_bytes() <= CAP);
}

#[test]
fn string_doubling_hits_the_memory_cap() {
    let outcome = run_with(capped(CAP), "local s = 'x' while true do s = s .. s end");
    outcome.assert_limit(Limit::Memory);
    assert!(outcome.instance.memory_peak_bytes() <= CAP);
}

#[test]
fn string_rep_with_a_huge_count_hits_the_memory_cap() {
    let outcome = run_with(capped(CAP), "return #string.rep('x', 100 * 1024 * 1024)");
    outcome.assert_limit(Limit::Memory);
    assert!(outcome.instance.memory_peak_bytes() <= CAP);
}

#[test]
fn pcall_catches_not_enough_memory_and_the_script_finishes() {
    let outcome = run_with(
        capped(CAP),
        r#"
        local ok, err = pcall(function()
            local parts = {}
            while true do parts[#parts + 1] = ("y"):rep(1 << 16) end
        end)
        parts = nil
        collectgarbage()
        return {ok = ok, err = err, after = ("z"):rep(3)}
        "#,
    );
    assert_eq!(
        outcome.value(),
        &serde_json::json!({"ok": false, "err": "not enough memory", "after": "zzz"})
    );
}

#[test]
fn memory_stays_under_the_cap_across_many_bombs() {
    for bomb in [
        "local t = {} for i = 1, 1e9 do t[i] = i end",
        "local s = 'x' while true do s = s .. s end",
        "local t, i = {}, 0 while true do i = i + 1 t[i] = ('x'):rep(100) .. i end",
    ] {
        let outcome = run_with(capped(8 << 20), bomb);
        outcome.assert_limit(Limit::Memory);
        assert!(outcome.instance.memory_peak_bytes() <= 8 << 20);
    }
}

#[test]
fn a_cap_below_the_guest_itself_fails_cleanly() {
    let config = ScriptConfig::default().with_limits(capped(256 << 10));
    let error = engine()
        .instantiate("tiny.lua", &config)
        .err()
        .expect("must fail");
    assert!(
        matches!(
            error,
            ScriptError::ResourceLimitExceeded {
                limit: Limit::Memory,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn plain_recursion_is_kind_stack() {
    let outcome = run("local function f(n) return 1 + f(n + 1) end return f(1)");
    outcome.assert_limit(Limit::Stack);
    assert!(outcome.error().message().contains("stack overflow"));
}

#[test]
fn runaway_recursion_ends_as_stack_under_any_cap_from_4_mib() {
    // Small frames, and frames of 40 slots: Lua's stack limit is reached
    // before the memory cap either way.
    let narrow = "local function f(n) return 1 + f(n + 1) end return f(1)";
    let wide = "local function f(a, b, c, d, e, f1, g, h, i, j)
        local k, l, m, n, o, p, q, r, s, t = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
        local u, v, w, x, y, z, aa, bb, cc, dd = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
        return 1 + f(a, b, c, d, e, f1, g, h, i, j) + k + u
    end
    return f()";
    for mib in [4, 8, 16, 64, 256] {
        for source in [narrow, wide] {
            let outcome = run_with(capped(mib << 20), source);
            outcome.assert_limit(Limit::Stack);
            assert!(
                outcome.error().message().ends_with("stack overflow"),
                "{mib} MiB: {}",
                outcome.error()
            );
        }
    }
    // Caught, the sandbox goes on, and native Lua's depth for small frames
    // is within reach of ordinary scripts.
    let depth = run_with(
        capped(4 << 20),
        "local n = 0
         local function f() n = n + 1 return 1 + f() end
         local ok = pcall(f)
         return {ok, n > 40000}",
    );
    assert_eq!(*depth.value(), json!([false, true]));
}

/// Kind `stack`, or a clean runtime error naming the overflow.
fn assert_stack_or_runtime(source: &str) {
    let outcome = run(source);
    match outcome.error() {
        ScriptError::ResourceLimitExceeded {
            limit: Limit::Stack,
            ..
        } => {}
        ScriptError::Runtime { message, .. } => {
            assert!(message.contains("stack overflow"), "{message}")
        }
        other => panic!("expected a stack error, got {other:?}"),
    }
}

#[test]
fn recursion_through_index_is_contained() {
    assert_stack_or_runtime(
        "local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x",
    );
}

#[test]
fn recursion_through_nested_pcall_is_contained() {
    assert_stack_or_runtime("local function f() local ok, e = pcall(f) error(e, 0) end f()");
}

#[test]
fn recursion_through_coroutine_wrap_is_contained() {
    assert_stack_or_runtime("local function f() return coroutine.wrap(f)() end return f()");
}

#[test]
fn a_deeply_nested_parse_is_contained() {
    let source = format!("return {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let outcome = run(&source);
    match outcome.error() {
        ScriptError::Syntax { message, .. } | ScriptError::Runtime { message, .. } => {
            assert!(
                message.contains("overflow") || message.contains("levels"),
                "{message}"
            )
        }
        ScriptError::ResourceLimitExceeded {
            limit: Limit::Stack,
            ..
        } => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn recursion_depth_limit_stops_deep_calls_only() {
    let limits = Limits::default().with_recursion_depth(100);
    let source =
        "local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(...)";
    let shallow = run_with(limits.clone(), &source.replace("...", "50"));
    assert_eq!(shallow.value(), 50);
    run_with(limits, &source.replace("...", "200")).assert_limit(Limit::Stack);
}

#[test]
fn a_small_wasm_stack_traps_cleanly_as_stack() {
    let engine = ScriptEngine::new(
        EngineConfig::default()
            .with_cache(test_cache())
            .with_max_wasm_stack(48 << 10),
    )
    .expect("engine");
    let mut script = engine
        .instantiate("deep.lua", &ScriptConfig::default())
        .expect("instantiate");
    let error = script
        .run(
            "local function f() return tostring(setmetatable({}, {__tostring = f})) end return f()",
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            ScriptError::ResourceLimitExceeded {
                limit: Limit::Stack,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn timeout_stops_a_script_with_plenty_of_fuel_on_time() {
    let limits = Limits::default()
        .with_fuel(u64::MAX / 4)
        .with_timeout(Duration::from_millis(100));
    let started = Instant::now();
    let outcome = run_with(limits, "while true do end");
    let elapsed = started.elapsed();
    outcome.assert_limit(Limit::Timeout);
    assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn output_cap_in_bytes_ends_the_call() {
    let limits = Limits::default().with_output_bytes(64 << 10);
    let outcome = run_with(
        limits,
        "local s = ('x'):rep(1000) for i = 1, 1e6 do print(s) end",
    );
    outcome.assert_limit(Limit::Output);
    let printed: usize = outcome.output.iter().map(String::len).sum();
    assert!(printed <= 64 << 10);
}

#[test]
fn output_cap_in_lines_ends_the_call() {
    let limits = Limits::default().with_output_lines(100);
    let outcome = run_with(limits, "for i = 1, 1e6 do print(i) end");
    outcome.assert_limit(Limit::Output);
    assert_eq!(outcome.output.len(), 100);
}
