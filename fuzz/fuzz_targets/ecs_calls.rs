//! Arbitrary ECS host calls, as a hostile guest could send them, into one
//! call's view of a world, then a commit or a rollback (see
//! `luabox::fuzzing::ecs_calls` for the invariants checked).
#![no_main]

use libfuzzer_sys::fuzz_target;
use luabox::fuzzing::{EcsCall, ecs_calls};

fuzz_target!(|input: (Vec<EcsCall>, bool)| {
    let (calls, commit) = input;
    ecs_calls(&calls, commit);
});
