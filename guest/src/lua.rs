//! Lua's pseudo-indices as this guest's Lua is built. mlua-sys derives
//! `LUA_REGISTRYINDEX` and `lua_upvalueindex` from the stock stack limit
//! (1,000,000 slots); the guest's Lua has its own (`build.rs`,
//! `c/include/luabox_user.h`), so every module imports these instead.

use std::ffi::c_int;

include!(concat!(env!("OUT_DIR"), "/lua_limits.rs"));

/// The registry's pseudo-index (`lua.h`: `-LUAI_MAXSTACK - 1000`).
pub const LUA_REGISTRYINDEX: c_int = -LUAI_MAXSTACK - 1000;

/// The pseudo-index of a C closure's upvalue `i`.
pub const fn lua_upvalueindex(i: c_int) -> c_int {
    LUA_REGISTRYINDEX - i
}
