//! The two libc functions Lua wants that would otherwise drag WASI in.
//!
//! `time` seeds Lua's string hashing and `math.random`'s default seed;
//! `arc4random` randomises `table.sort` pivots. Both come from the seed the
//! host gave to `init`, so a run is reproducible and the script cannot read
//! a clock through them.

use std::sync::atomic::{AtomicU64, Ordering};

/// The instance's seed, set once by `init` before the Lua state exists.
/// Static, not per state: C calls `time` and `arc4random` with no Lua state
/// to find it through (and `luaopen_math` reads `time` while the state is
/// being made). This instance is one script's whole world; there is
/// nothing to share.
static SEED: AtomicU64 = AtomicU64::new(0);
/// State of `arc4random`'s generator.
static PIVOT_STATE: AtomicU64 = AtomicU64::new(0);

pub fn set_seed(seed: u64) {
    SEED.store(seed, Ordering::Relaxed);
    PIVOT_STATE.store(seed ^ 0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
}

/// C `time()`: the host's seed, never a clock.
#[unsafe(no_mangle)]
pub extern "C" fn time(out: *mut i64) -> i64 {
    let value = SEED.load(Ordering::Relaxed) as i64;
    if !out.is_null() {
        // SAFETY: C callers pass NULL or a valid `time_t*`.
        unsafe { out.write(value) };
    }
    value
}

/// C `arc4random()`: splitmix64 over the seeded state.
#[unsafe(no_mangle)]
pub extern "C" fn arc4random() -> u32 {
    let state = PIVOT_STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as u32
}
