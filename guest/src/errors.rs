//! Turning a Lua error into the WIT `script-error`, inside the sandbox.
//!
//! The error object becomes text here, under the same fuel, time and memory
//! limits as the script: a `__tostring` that loops runs out of fuel like any
//! other loop, and one that raises falls back to a description of the value.

use std::ffi::c_int;
use std::ptr;

use mlua_sys::*;

use crate::lua::{LUA_REGISTRYINDEX, lossy_string, type_name};
use crate::stack::{check_stack, has_room};

use crate::exports::luabox::sandbox::script::{ErrorKind, ScriptError};

/// Registry key of the traceback the message handler saved: the address
/// is the key (`lua_rawsetp`), the same for every state, so a static.
static TRACEBACK_KEY: u8 = 0;

fn traceback_key() -> *const std::ffi::c_void {
    ptr::from_ref(&TRACEBACK_KEY).cast()
}

/// An error made by the glue itself (no Lua value involved).
pub fn guest_error(kind: ErrorKind, message: String) -> ScriptError {
    ScriptError {
        kind,
        message,
        line: None,
        traceback: None,
    }
}

/// Message handler for `lua_pcall`: saves a traceback of the failing stack and
/// hands the error object on untouched (it is described after unwinding).
pub unsafe extern "C-unwind" fn message_handler(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function with the error object as
    // argument 1; the traceback (one slot; lauxlib makes its own room) is
    // stored at once.
    unsafe {
        check_stack(l, 1, c"traceback");
        luaL_traceback(l, l, ptr::null(), 1);
        lua_rawsetp(l, LUA_REGISTRYINDEX, traceback_key());
        lua_settop(l, 1);
        1
    }
}

/// Saves the traceback of `thread` (a task's thread that ended in an
/// error, its stack left as it failed) as the message handler does for a
/// protected call. Building it allocates, so it runs under `lua_pcall`: a
/// sandbox out of memory gets no traceback rather than an error outside any
/// protected call.
///
/// # Safety
/// `l` and `thread` must be threads of one Lua state, `l` not running any
/// function and with two free stack slots.
pub unsafe fn save_traceback_of(l: *mut lua_State, thread: *mut lua_State) {
    // SAFETY: valid threads with room for the function and its argument
    // (the caller's contract); only the protected call can raise.
    unsafe {
        lua_pushcfunction(l, traceback_of_thread);
        lua_pushlightuserdata(l, thread.cast());
        if lua_pcall(l, 1, 0, 0) != LUA_OK {
            lua_pop(l, 1);
        }
    }
}

/// Saves the traceback of the thread given as a light userdata (see
/// [`save_traceback_of`]).
unsafe extern "C-unwind" fn traceback_of_thread(l: *mut lua_State) -> c_int {
    // SAFETY: called only by `save_traceback_of`, under `lua_pcall`, with a
    // thread of this state as light userdata argument 1.
    unsafe {
        check_stack(l, 1, c"traceback");
        let thread = lua_touserdata(l, 1).cast::<lua_State>();
        luaL_traceback(l, thread, ptr::null(), 0);
        lua_rawsetp(l, LUA_REGISTRYINDEX, traceback_key());
        0
    }
}

/// Forgets the traceback of an earlier error.
///
/// # Safety
/// `l` must be a valid Lua state with a free stack slot.
pub unsafe fn clear_traceback(l: *mut lua_State) {
    // SAFETY: a valid state with a free slot (the caller's contract); a nil
    // stored at an existing key, or no key, allocates nothing.
    unsafe {
        lua_pushnil(l);
        lua_rawsetp(l, LUA_REGISTRYINDEX, traceback_key());
    }
}

/// Describes the error object at `index` after a call failed with `status`.
///
/// # Safety
/// `l` must be a valid Lua state and `index` a valid stack index.
pub unsafe fn describe(l: *mut lua_State, status: c_int, index: c_int, chunk: &str) -> ScriptError {
    // SAFETY: the caller's contract; both helpers make their own room.
    unsafe {
        let message = error_text(l, index);
        describe_message(l, status, message, chunk)
    }
}

/// Describes an error whose message the glue made itself (no error object
/// on the stack) after a call failed with `status`, with the traceback
/// saved for it.
///
/// # Safety
/// `l` must be a valid Lua state with a free stack slot.
pub unsafe fn describe_message(
    l: *mut lua_State,
    status: c_int,
    message: String,
    chunk: &str,
) -> ScriptError {
    // SAFETY: a valid state (the caller's contract).
    unsafe {
        let traceback = take_traceback(l);
        // A message without a position (`error(msg, 0)`, a table raised):
        // the line of the first Lua function in the traceback.
        let line = line_of(&message, chunk).or_else(|| {
            traceback
                .as_deref()
                .and_then(|traceback| first_lua_line(traceback, chunk))
        });
        ScriptError {
            kind: classify(status, &message),
            line,
            message,
            traceback,
        }
    }
}

/// The error's kind: Lua's own status first; Lua reports stack overflows as
/// ordinary runtime errors, so they are recognised by their message.
fn classify(status: c_int, message: &str) -> ErrorKind {
    match status {
        LUA_ERRSYNTAX => ErrorKind::Syntax,
        LUA_ERRMEM => ErrorKind::Memory,
        // An error while handling an error: in practice the stack overflowed
        // again while the handler ran.
        LUA_ERRERR => ErrorKind::Stack,
        _ if message == "not enough memory" => ErrorKind::Memory,
        _ if message.ends_with("stack overflow") || message.contains("stack overflow (") => {
            ErrorKind::Stack
        }
        _ => ErrorKind::Runtime,
    }
}

/// The line a message like `hello.lua:12: boom` points at: after the chunk's
/// own name when it starts with it, else the first `:N:` in the message.
fn line_of(message: &str, chunk: &str) -> Option<u32> {
    let digits_then_colon = |rest: &str| {
        let end = rest.find(|c: char| !c.is_ascii_digit())?;
        (end > 0 && rest[end..].starts_with(':'))
            .then(|| rest[..end].parse().ok())
            .flatten()
    };
    if let Some(rest) = message
        .strip_prefix(chunk)
        .and_then(|r| r.strip_prefix(':'))
    {
        return digits_then_colon(rest);
    }
    message
        .match_indices(':')
        .find_map(|(at, _)| digits_then_colon(&message[at + 1..]))
}

/// The line of a traceback's first frame in Lua code (frames in C, such as
/// `[C]: in function 'error'`, have none).
fn first_lua_line(traceback: &str, chunk: &str) -> Option<u32> {
    traceback
        .lines()
        .skip(1)
        .map(str::trim_start)
        .filter(|frame| !frame.starts_with("[C]"))
        .find_map(|frame| line_of(frame, chunk))
}

/// `tostring` of the error object, made under `lua_pcall`.
///
/// # Safety
/// `l` must be a valid Lua state, not running any function, and `index` a
/// valid stack index.
unsafe fn error_text(l: *mut lua_State, index: c_int) -> String {
    // SAFETY: the caller's contract; room is made for the function and its
    // argument (the result takes the function's slot), and only the
    // protected call can raise.
    unsafe {
        let index = lua_absindex(l, index);
        if !has_room(l, 2) {
            return "(error object could not be described: no stack space)".into();
        }
        lua_pushcfunction(l, error_to_string);
        lua_pushvalue(l, index);
        let text = if lua_pcall(l, 1, 1, 0) == LUA_OK {
            lossy_string(l, -1)
        } else {
            format!(
                "(error object is a {} value; its __tostring failed)",
                type_name(l, index)
            )
        };
        lua_pop(l, 1);
        text
    }
}

/// Like the standalone `lua` interpreter's message handler: strings and
/// numbers as they are, `__tostring` when there is one, else the type.
unsafe extern "C-unwind" fn error_to_string(l: *mut lua_State) -> c_int {
    // SAFETY: called only by `error_text`, under `lua_pcall`, with the error
    // object as argument 1; room is made for the result and the
    // metamethod's call.
    unsafe {
        check_stack(l, 2, c"tostring");
        match lua_type(l, 1) {
            LUA_TSTRING | LUA_TNUMBER => {
                lua_pushvalue(l, 1);
                lua_tolstring(l, -1, ptr::null_mut());
            }
            _ if luaL_callmeta(l, 1, c"__tostring".as_ptr()) != 0
                && lua_type(l, -1) == LUA_TSTRING => {}
            _ => {
                lua_pushfstring(
                    l,
                    c"(error object is a %s value)".as_ptr(),
                    luaL_typename(l, 1),
                );
            }
        }
        1
    }
}

/// The traceback saved for the last error, if any; forgets it.
///
/// # Safety
/// `l` must be a valid Lua state.
unsafe fn take_traceback(l: *mut lua_State) -> Option<String> {
    // SAFETY: a valid state (the caller's contract) with room made for the
    // one value read; reading the registry allocates nothing.
    unsafe {
        if !has_room(l, 1) {
            return None;
        }
        lua_rawgetp(l, LUA_REGISTRYINDEX, traceback_key());
        let traceback = (lua_type(l, -1) == LUA_TSTRING).then(|| lossy_string(l, -1));
        lua_pop(l, 1);
        clear_traceback(l);
        traceback
    }
}
