//! Lua as this guest builds it, and the small helpers every module shares.
//!
//! mlua-sys derives `LUA_REGISTRYINDEX` and `lua_upvalueindex` from the stock
//! stack limit (1,000,000 slots); the guest's Lua has its own (`build.rs`,
//! `c/include/luabox_user.h`), so every module imports these instead.

use std::ffi::{CStr, c_int};

use mlua_sys::*;

include!(concat!(env!("OUT_DIR"), "/lua_limits.rs"));

/// The registry's pseudo-index (`lua.h`: `-LUAI_MAXSTACK - 1000`).
pub const LUA_REGISTRYINDEX: c_int = -LUAI_MAXSTACK - 1000;

/// The pseudo-index of a C closure's upvalue `i`.
pub const fn lua_upvalueindex(i: c_int) -> c_int {
    LUA_REGISTRYINDEX - i
}

/// Raises `message` as a Lua error, after dropping the Rust string, with
/// the calling Lua line in front as `luaL_error` does
/// (`script.lua:7: ecs.get: entity 12 does not exist`).
///
/// # Safety
/// `l` must be running a C function called from Lua (the error unwinds its
/// frame). When the stack has no room left for the message, the frame's
/// values are dropped first: they are lost to the error anyway.
pub unsafe fn raise(l: *mut lua_State, message: String) -> ! {
    unsafe {
        if lua_checkstack(l, 2) == 0 {
            lua_settop(l, 0);
        }
        lua_pushlstring(l, message.as_ptr().cast(), message.len());
        drop(message);
        luaL_where(l, 1);
        lua_rotate(l, -2, 1);
        lua_concat(l, 2);
        // Does not return: unwinds to the protected call.
        lua_error(l)
    }
}

/// The type name of the value at `index` (`"table"`, `"function"`, ...).
pub unsafe fn type_name(l: *mut lua_State, index: c_int) -> String {
    unsafe {
        CStr::from_ptr(luaL_typename(l, index))
            .to_string_lossy()
            .into_owned()
    }
}

/// The bytes of the string at `index` (which must be a string: a number
/// would be converted in place), valid while the string is on the stack or
/// otherwise referenced.
pub unsafe fn string_bytes<'a>(l: *mut lua_State, index: c_int) -> &'a [u8] {
    unsafe {
        let mut len = 0usize;
        let data = lua_tolstring(l, index, &mut len);
        if data.is_null() {
            return &[];
        }
        std::slice::from_raw_parts(data.cast::<u8>(), len)
    }
}

/// The string at `index` (which must be a string) as UTF-8, invalid bytes
/// replaced.
pub unsafe fn lossy_string(l: *mut lua_State, index: c_int) -> String {
    String::from_utf8_lossy(unsafe { string_bytes(l, index) }).into_owned()
}
