//! The glue's Lua stack discipline, written once: raising, and making room.
//!
//! # A Lua error unwinds over Rust frames
//!
//! `lua_error`, every API call that may allocate (pushing a string, a table
//! or a thread, `luaL_ref`, setting a table field, ...), the `luaL_check*`
//! functions and `lua_call` can raise. A raise is Lua's `longjmp` (in this
//! guest a wasm exception thrown by `luaD_throw`, see `c/sjlj.c`) back to the
//! `lua_pcall` or `lua_resume` that armed it, and it runs no Rust destructor
//! on the way; `lua_yield` from a C function unwinds the same way. Hence:
//!
//! - **Nothing that needs dropping lives across a call that can raise or
//!   yield**: a `String`, a `Vec`, a WIT result, a `RefCell` borrow. It is
//!   dropped first, or the call comes first. A value that is not would leak,
//!   and a borrow would stay borrowed (the next one would abort the
//!   instance). [`raise`] takes its message by value for this reason. Where
//!   only running out of memory can raise, a leak inside a sandbox that is
//!   out of memory anyway is tolerated, and the place says so.
//! - **Outside a protected call nothing may raise at all**: the exports run
//!   on the main thread between calls, where a raise would reach the panic
//!   handler (which aborts). Work there that can raise runs in a C function
//!   under `lua_pcall`; room is made with [`make_room`], which reports
//!   rather than raises.
//! - **Every push has room made first**: Lua's C API trusts its caller, and
//!   a push without room writes past the stack (the guest the tests run has
//!   Lua's API checks on, which trap instead: `c/include/luabox_user.h`). A C
//!   function or hook starts with `LUA_MINSTACK` (20) free slots; the glue
//!   still says what it pushes, with [`check_stack`] (which raises when room
//!   cannot be made) before pushing, or [`has_room`] when it raises a
//!   message of its own. A helper that pushes states the room it needs from
//!   its caller under `# Safety`.
//!
//! Per-state Rust data ([`crate::state::GuestState`]) follows the same rule:
//! it is borrowed only inside closures that call no Lua.

use std::ffi::{CStr, c_int};

use mlua_sys::*;

use crate::errors;
use crate::exports::luabox::sandbox::script::{ErrorKind, ScriptError};

/// Makes room for `n` more values on `l`'s stack, or raises
/// `stack overflow (what)` (as `luaL_checkstack` does).
///
/// # Safety
/// `l` must be running a C function (or hook) called from Lua, under
/// protection: the error unwinds its frame.
pub unsafe fn check_stack(l: *mut lua_State, n: c_int, what: &CStr) {
    // SAFETY: `l` runs a C function under protection (the caller's
    // contract), so `luaL_checkstack` may raise.
    unsafe { luaL_checkstack(l, n, what.as_ptr()) }
}

/// Whether room for `n` more values on `l`'s stack could be made. Never
/// raises: a stack that cannot grow (its limit, or no memory) gives false.
///
/// # Safety
/// `l` must be a valid Lua thread.
pub unsafe fn has_room(l: *mut lua_State, n: c_int) -> bool {
    // SAFETY: `l` is valid (the caller's contract); `lua_checkstack`
    // reports a failed growth instead of raising.
    unsafe { lua_checkstack(l, n) != 0 }
}

/// Makes room for `n` more values on `l`'s stack outside any protected
/// call, or returns the `memory` error the export reports.
///
/// # Safety
/// `l` must be a valid Lua thread.
pub unsafe fn make_room(l: *mut lua_State, n: c_int) -> Result<(), ScriptError> {
    // SAFETY: `l` is valid (the caller's contract).
    if unsafe { has_room(l, n) } {
        Ok(())
    } else {
        Err(errors::guest_error(
            ErrorKind::Memory,
            "not enough memory".into(),
        ))
    }
}

/// Raises `message` as a Lua error, after dropping the Rust string, with
/// the calling Lua line in front as `luaL_error` does
/// (`script.lua:7: ecs.get: entity 12 does not exist`).
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection (the
/// error unwinds its frame), and the caller must hold nothing that needs
/// dropping (see the module). When the stack has no room left for the
/// message, the frame's values are dropped first: they are lost to the
/// error anyway.
pub unsafe fn raise(l: *mut lua_State, message: String) -> ! {
    // SAFETY: `l` runs a C function under protection (the caller's
    // contract); two slots (the message and `luaL_where`'s position) are
    // made, or the frame emptied to give them.
    unsafe {
        if !has_room(l, 2) {
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
