/*
 * luabox's changes to Lua's configuration. lua.h includes this file after
 * luaconf.h (LUA_USER_H, set by guest/build.rs), so every Lua source sees
 * them. Nothing of Lua itself is copied here.
 */
#ifndef LUABOX_USER_H
#define LUABOX_USER_H

/*
 * Lua's stack limit, in slots (guest/build.rs sets LUABOX_MAXSTACK, and
 * tells the Rust glue the same number: its pseudo-indices derive from it).
 * Lua's own 1,000,000 slots need about 110 MB to reach, far above a
 * sandbox's memory cap, so runaway recursion would end as "not enough
 * memory". This limit is reached within a 4 MiB cap, and ends it as
 * "stack overflow".
 */
#undef LUAI_MAXSTACK
#define LUAI_MAXSTACK LUABOX_MAXSTACK

/*
 * The seed of Lua's string hashing. Lua mixes addresses and the time into
 * it, so the order `next` gives a table's string keys (and with it the key
 * order of encoded maps) would change with every build of the guest. Fixed,
 * the same script gives the same output on every build and run. (A script
 * can only slow its own tables down by colliding hashes: its fuel pays.)
 */
#define luai_makeseed(L) ((unsigned int)0x4c756131u)

/*
 * Lua's API checks, in the guest the tests and fuzzers run
 * (host/guest/luabox_guest_checked.wasm: guest/build.rs sets
 * LUABOX_API_CHECKS). Lua's C API trusts its caller: a push with no room
 * made first (lua_checkstack) writes past the stack, and a wrong index
 * reads or writes anywhere. With the checks on, a slip in the glue stops
 * the instance (a trap) at the first call that breaks the rule, so a test
 * or a fuzzer fails instead of memory being corrupted. The shipped guest
 * leaves them out: they cost up to 18% more instructions on code that
 * calls the table library in a loop (every lapi.c call compares indices),
 * and what they guard, the glue's discipline, is what the tests check.
 * (`api_check` wraps this with its message.)
 */
#if defined(LUABOX_API_CHECKS)
#define luai_apicheck(l, e) ((void)(l), (e) ? (void)0 : __builtin_trap())
#endif

#endif
