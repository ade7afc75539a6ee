//! The Lua side of the console: `print`, `log.info/warn/error` and the
//! warning function behind `warn`, each sending one message to the host.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use mlua_sys::*;

use crate::lua::raise;
use crate::luabox::sandbox::console::{self, Level};

/// Joins the arguments with tabs, `tostring` applied to each, on the Lua
/// stack (an error in a `__tostring` leaves nothing behind).
unsafe fn push_joined_arguments(l: *mut lua_State) {
    unsafe {
        let count = lua_gettop(l);
        lua_pushstring(l, c"".as_ptr());
        for index in 1..=count {
            if index > 1 {
                lua_pushstring(l, c"\t".as_ptr());
                lua_concat(l, 2);
            }
            luaL_tolstring(l, index, ptr::null_mut());
            lua_concat(l, 2);
        }
    }
}

/// Sends the arguments to the host console as one message at `level`.
pub unsafe fn write_console(l: *mut lua_State, level: Level) -> c_int {
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
    unsafe { write_console(l, Level::Info) }
}

unsafe extern "C-unwind" fn log_warn(l: *mut lua_State) -> c_int {
    unsafe { write_console(l, Level::Warn) }
}

unsafe extern "C-unwind" fn log_error(l: *mut lua_State) -> c_int {
    unsafe { write_console(l, Level::Error) }
}

/// `print(...)`: `tostring` of each argument, tab-separated, as one line on
/// the host console.
pub unsafe extern "C-unwind" fn print(l: *mut lua_State) -> c_int {
    unsafe { write_console(l, Level::Info) }
}

/// The `log` library.
pub const LOG_FUNCTIONS: &[(&CStr, lua_CFunction)] = &[
    (c"info", log_info),
    (c"warn", log_warn),
    (c"error", log_error),
];

/// Whether `warn` messages are shown (Lua's standalone interpreter starts
/// with them off; `warn("@on")` turns them on).
static WARNINGS_ON: AtomicBool = AtomicBool::new(false);

/// The pieces of a warning not yet complete (`warn("a", "b")` arrives as
/// pieces; the guest is single-threaded, the lock is never contended).
static WARNING: Mutex<String> = Mutex::new(String::new());

/// Lua's warning function: a warning goes to the host console at level
/// warn, as one message. `@on` and `@off` switch warnings on and off; other
/// control messages (`@...`) are ignored, as in Lua's own interpreter. It
/// never raises (Lua also warns from inside the collector), and a console
/// refusal drops the warning.
pub unsafe extern "C-unwind" fn warning(
    _ud: *mut c_void,
    message: *const c_char,
    to_continue: c_int,
) {
    let piece = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    let mut pending = WARNING.lock().unwrap_or_else(PoisonError::into_inner);
    if pending.is_empty() && to_continue == 0 && piece.starts_with('@') {
        match &*piece {
            "@on" => WARNINGS_ON.store(true, Ordering::Relaxed),
            "@off" => WARNINGS_ON.store(false, Ordering::Relaxed),
            _ => {}
        }
        return;
    }
    pending.push_str(&piece);
    if to_continue != 0 {
        return;
    }
    let text = std::mem::take(&mut *pending);
    drop(pending);
    if WARNINGS_ON.load(Ordering::Relaxed) {
        let _ = console::log(Level::Warn, &text);
    }
}
