//! The Lua side of the console: `print`, `log.info/warn/error` and the
//! warning function behind `warn`, each sending one message to the host.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;

use mlua_sys::*;

use crate::luabox::sandbox::console::{self, Level};
use crate::stack::{check_stack, raise};
use crate::state::GuestState;

/// Joins the arguments with tabs, `tostring` applied to each, on the Lua
/// stack (an error in a `__tostring` leaves nothing behind). A `luaL_Buffer`
/// grows geometrically, so this is linear in the text (joining by
/// `lua_concat` copied the text so far once per argument: quadratic).
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection.
unsafe fn push_joined_arguments(l: *mut lua_State) {
    // SAFETY: a C function's frame under protection (the caller's
    // contract), so raising is allowed; indices run over the arguments;
    // room is made for the buffer's box and `tostring`'s work.
    unsafe {
        let count = lua_gettop(l);
        check_stack(l, 8, c"print");
        let mut buffer: luaL_Buffer = std::mem::zeroed();
        luaL_buffinit(l, &mut buffer);
        for index in 1..=count {
            if index > 1 {
                luaL_addlstring(&mut buffer, c"\t".as_ptr(), 1);
            }
            luaL_tolstring(l, index, ptr::null_mut());
            luaL_addvalue(&mut buffer);
        }
        luaL_pushresult(&mut buffer);
    }
}

/// Sends the arguments to the host console as one message at `level`.
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection.
pub unsafe fn write_console(l: *mut lua_State, level: Level) -> c_int {
    // SAFETY: as the caller's contract; the joined string is on top of the
    // stack while its bytes are read, and the only Rust value alive at the
    // raise is the message it takes.
    unsafe {
        push_joined_arguments(l);
        let mut len = 0usize;
        let text = lua_tolstring(l, -1, &mut len);
        let bytes = std::slice::from_raw_parts(text.cast::<u8>(), len);
        let outcome = console::log(level, &String::from_utf8_lossy(bytes));
        match outcome {
            Ok(()) => 0,
            Err(message) => raise(l, message),
        }
    }
}

unsafe extern "C-unwind" fn log_info(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection.
    unsafe { write_console(l, Level::Info) }
}

unsafe extern "C-unwind" fn log_warn(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection.
    unsafe { write_console(l, Level::Warn) }
}

unsafe extern "C-unwind" fn log_error(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection.
    unsafe { write_console(l, Level::Error) }
}

/// `print(...)`: `tostring` of each argument, tab-separated, as one line on
/// the host console.
pub unsafe extern "C-unwind" fn print(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection.
    unsafe { write_console(l, Level::Info) }
}

/// The `log` library.
pub const LOG_FUNCTIONS: &[(&CStr, lua_CFunction)] = &[
    (c"info", log_info),
    (c"warn", log_warn),
    (c"error", log_error),
];

/// The state of a Lua state's warnings (kept in its
/// [`GuestState`](crate::state::GuestState)).
#[derive(Default)]
pub struct Warnings {
    /// Whether `warn` messages are shown (Lua's standalone interpreter
    /// starts with them off; `warn("@on")` turns them on).
    on: bool,
    /// The pieces of a warning not yet complete (`warn("a", "b")` arrives
    /// as pieces).
    pending: String,
}

/// Lua's warning function: a warning goes to the host console at level
/// warn, as one message. `@on` and `@off` switch warnings on and off; other
/// control messages (`@...`) are ignored, as in Lua's own interpreter. It
/// never raises (Lua also warns from inside the collector), and a console
/// refusal drops the warning. `ud` is the state's
/// [`GuestState`](crate::state::GuestState).
pub unsafe extern "C-unwind" fn warning(
    ud: *mut c_void,
    message: *const c_char,
    to_continue: c_int,
) {
    // SAFETY: `ud` is the state's `GuestState` (`GuestState::install`),
    // alive as long as the state that calls this.
    let state = unsafe { &*ud.cast::<GuestState>() };
    // SAFETY: Lua passes a NUL-terminated string.
    let piece = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    // Nothing below calls Lua, so the borrow cannot be held over a raise.
    let mut warnings = state.warnings.borrow_mut();
    if warnings.pending.is_empty() && to_continue == 0 && piece.starts_with('@') {
        match &*piece {
            "@on" => warnings.on = true,
            "@off" => warnings.on = false,
            _ => {}
        }
        return;
    }
    warnings.pending.push_str(&piece);
    if to_continue != 0 {
        return;
    }
    let text = std::mem::take(&mut warnings.pending);
    if warnings.on {
        let _ = console::log(Level::Warn, &text);
    }
}
