//! The Lua side of the console: `print`, `log.info/warn/error` and the
//! warning function behind `warn`, each sending one message to the host.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;

use mlua_sys::*;

use crate::lua::raise;
use crate::luabox::sandbox::console::{self, Level};

/// Joins the arguments with tabs, `tostring` applied to each, on the Lua
/// stack (an error in a `__tostring` leaves nothing behind). A `luaL_Buffer`
/// grows geometrically, so this is linear in the text (joining by
/// `lua_concat` copied the text so far once per argument: quadratic).
unsafe fn push_joined_arguments(l: *mut lua_State) {
    unsafe {
        let count = lua_gettop(l);
        // The buffer's box and `tostring`'s work take a few slots above
        // the arguments (a C function starts with 20 free): made sure.
        luaL_checkstack(l, 8, c"print".as_ptr());
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

/// The state of a Lua state's warnings, owned by it: [`warning`]'s `ud`,
/// its pointer also kept in the state's extra space so
/// [`Warnings::remove`] can free it.
#[derive(Default)]
pub struct Warnings {
    /// Whether `warn` messages are shown (Lua's standalone interpreter
    /// starts with them off; `warn("@on")` turns them on).
    on: bool,
    /// The pieces of a warning not yet complete (`warn("a", "b")` arrives
    /// as pieces).
    pending: String,
}

impl Warnings {
    /// Makes [`warning`] the warning function of the new state `l`, with a
    /// `Warnings` of its own.
    ///
    /// # Safety
    /// `l` must be a new main Lua state; [`Warnings::remove`] before it
    /// closes.
    pub unsafe fn install(l: *mut lua_State) {
        let warnings = Box::into_raw(Box::new(Warnings::default()));
        unsafe {
            lua_getextraspace(l).cast::<*mut Warnings>().write(warnings);
            lua_setwarnf(l, Some(warning), warnings.cast());
        }
    }

    /// Frees the `Warnings` of a state about to close.
    ///
    /// # Safety
    /// `l` must be a main Lua state set up by [`Warnings::install`].
    pub unsafe fn remove(l: *mut lua_State) {
        unsafe {
            let slot = lua_getextraspace(l).cast::<*mut Warnings>();
            let warnings = slot.replace(ptr::null_mut());
            lua_setwarnf(l, None, ptr::null_mut());
            if !warnings.is_null() {
                drop(Box::from_raw(warnings));
            }
        }
    }
}

/// Lua's warning function: a warning goes to the host console at level
/// warn, as one message. `@on` and `@off` switch warnings on and off; other
/// control messages (`@...`) are ignored, as in Lua's own interpreter. It
/// never raises (Lua also warns from inside the collector), and a console
/// refusal drops the warning. `ud` is the state's [`Warnings`].
pub unsafe extern "C-unwind" fn warning(
    ud: *mut c_void,
    message: *const c_char,
    to_continue: c_int,
) {
    // SAFETY: `ud` is the state's `Warnings` (see `Warnings::install`); the
    // guest is single-threaded and nothing here calls back into Lua.
    let warnings = unsafe { &mut *ud.cast::<Warnings>() };
    let piece = unsafe { CStr::from_ptr(message) }.to_string_lossy();
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
