//! Soak: many executions of good and hostile scripts over many sandboxes of
//! one engine. No crash, every good script's output right, every hostile one
//! in its class, and the host's resident memory flat after warm-up.
//!
//! `make test` runs 2,000 executions; `LUABOX_SOAK=10000 make soak` (or any
//! count) runs more. It is its own test binary so that resident memory is
//! this test's alone.

use std::time::Instant;

use luabox::{CacheDir, EngineConfig, Limits, ScriptConfig, ScriptEngine};

/// A script and what it must end in: `Ok(output)` or `Err(kind)`.
struct Case {
    source: &'static str,
    limits: Limits,
    expect: Result<&'static str, &'static str>,
}

fn cases() -> Vec<Case> {
    let quick = || Limits::default().with_fuel(20_000_000).with_memory(8 << 20);
    vec![
        Case {
            source: "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end print(fib(20))",
            limits: quick(),
            expect: Ok("6765"),
        },
        Case {
            source: "local t = {} for i = 1, 500 do t[i] = (i * 7919) % 1000 end table.sort(t) print(t[1], t[250], t[500])",
            limits: quick(),
            expect: Ok("2\t501\t999"),
        },
        Case {
            source: "local s = ('abc'):rep(100):gsub('b', 'XY') print(#s, s:sub(1, 8), string.format('%5.2f', math.pi))",
            limits: quick(),
            expect: Ok("400\taXYcaXYc\t 3.14"),
        },
        Case {
            source: "local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end) print(co() + co() + co(), pcall(error, 'x'))",
            limits: quick(),
            expect: Ok("6\tfalse\tx"),
        },
        Case {
            source: "os.execute('echo ESCAPED')",
            limits: quick(),
            expect: Err("runtime"),
        },
        Case {
            source: "while true do end",
            limits: quick(),
            expect: Err("fuel"),
        },
        Case {
            source: "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end",
            limits: Limits::default()
                .with_fuel(1_000_000_000)
                .with_memory(4 << 20),
            expect: Err("memory"),
        },
        Case {
            source: "local function f(n) return f(n + 1) + 1 end f(1)",
            limits: quick().with_recursion_depth(100),
            expect: Err("stack"),
        },
        Case {
            source: "for i = 1, 1e6 do print(i) end",
            limits: quick().with_output_lines(10),
            expect: Err("output"),
        },
        Case {
            source: "assert(load('\\27Lua'))",
            limits: quick(),
            expect: Err("runtime"),
        },
        Case {
            source: "while true do end",
            limits: Limits::default()
                .with_fuel(u64::MAX / 2)
                .with_timeout(std::time::Duration::from_millis(5)),
            expect: Err("timeout"),
        },
    ]
}

fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

#[test]
fn soak_good_and_hostile_scripts() {
    let executions: usize = std::env::var("LUABOX_SOAK")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(2_000);
    let engine = ScriptEngine::new(EngineConfig::default().with_cache(CacheDir::At(
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("luabox-cache"),
    )))
    .expect("engine");
    let cases = cases();
    let warm_up = executions / 10;
    let mut after_warm_up = 0.0;
    let mut peak_after_warm_up: f64 = 0.0;
    let mut failures = Vec::new();
    let started = Instant::now();
    for run in 0..executions {
        let case = &cases[run % cases.len()];
        let config = ScriptConfig::default()
            .with_limits(case.limits.clone())
            .with_seed(run as u64);
        let mut sandbox = engine
            .instantiate("soak.lua", &config)
            .expect("instantiate");
        let result = sandbox.run(case.source);
        let output: Vec<String> = sandbox.take_output().into_iter().map(|m| m.text).collect();
        let got = match &result {
            Ok(_) => Ok(output.join("\n")),
            Err(error) => Err(error.kind().as_str()),
        };
        let expected = case.expect.map(String::from);
        if got != expected || output.iter().any(|line| line.contains("ESCAPED")) {
            failures.push(format!(
                "run {run}: {:?}: expected {expected:?}, got {got:?}",
                case.source
            ));
        }
        drop(sandbox);
        if run + 1 == warm_up {
            after_warm_up = resident_mib();
        }
        if run >= warm_up {
            peak_after_warm_up = peak_after_warm_up.max(resident_mib());
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let growth = peak_after_warm_up - after_warm_up;
    println!(
        "soak: {executions} executions in {elapsed:.2} s ({:.0}/s); resident {after_warm_up:.1} MiB after warm-up, peak {peak_after_warm_up:.1} MiB (+{growth:.1} MiB)",
        executions as f64 / elapsed
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    assert!(
        growth < 32.0,
        "resident memory grew by {growth:.1} MiB after warm-up"
    );
}
