//! Lua as this guest builds it, and the small helpers every module shares.
//!
//! mlua-sys derives `LUA_REGISTRYINDEX` and `lua_upvalueindex` from the stock
//! stack limit (1,000,000 slots); the guest's Lua has its own (`build.rs`,
//! `c/include/luabox_user.h`), so every module imports these instead.
//!
//! Raising and making room on the stack: [`crate::stack`].

use std::ffi::{CStr, c_int};

use mlua_sys::*;

include!(concat!(env!("OUT_DIR"), "/lua_limits.rs"));

/// The registry's pseudo-index (`lua.h`: `-LUAI_MAXSTACK - 1000`).
pub const LUA_REGISTRYINDEX: c_int = -LUAI_MAXSTACK - 1000;

/// The pseudo-index of a C closure's upvalue `i`.
pub const fn lua_upvalueindex(i: c_int) -> c_int {
    LUA_REGISTRYINDEX - i
}

/// The type name of the value at `index` (`"table"`, `"function"`, ...).
///
/// # Safety
/// `l` must be a valid Lua thread and `index` an acceptable index.
pub unsafe fn type_name(l: *mut lua_State, index: c_int) -> String {
    // SAFETY: `l` and `index` are valid (the caller's contract);
    // `luaL_typename` returns a static NUL-terminated name.
    unsafe {
        CStr::from_ptr(luaL_typename(l, index))
            .to_string_lossy()
            .into_owned()
    }
}

/// The bytes of the string at `index` (which must be a string: a number
/// would be converted in place), valid while the string is on the stack or
/// otherwise referenced.
///
/// # Safety
/// `l` must be a valid Lua thread and `index` a valid index; the caller
/// picks `'a` no longer than the string stays alive.
pub unsafe fn string_bytes<'a>(l: *mut lua_State, index: c_int) -> &'a [u8] {
    // SAFETY: `l` and `index` are valid (the caller's contract); a non-null
    // result points at `len` bytes Lua keeps while the string lives.
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
///
/// # Safety
/// As [`string_bytes`].
pub unsafe fn lossy_string(l: *mut lua_State, index: c_int) -> String {
    // SAFETY: the caller's contract; the bytes are copied while the string
    // is still on the stack.
    String::from_utf8_lossy(unsafe { string_bytes(l, index) }).into_owned()
}
