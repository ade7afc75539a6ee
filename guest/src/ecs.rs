//! The Lua side of the world: the `ecs` and `log` globals.
//!
//! Each function checks its arguments, calls the host through WIT and turns
//! a refused call into a Lua error (catchable by `pcall`). Rust values are
//! dropped before any Lua error is raised, so nothing leaks when one is.

use std::ffi::{CStr, c_int};
use std::ptr;

use mlua_sys::*;

use crate::json::{encode_value, push_json};
use crate::luabox::sandbox::console::{self, Level};
use crate::luabox::sandbox::ecs::{self, EcsError};

/// The most component names one `ecs.query` or `ecs.spawn` may carry (the
/// host refuses more; see `wit/ecs.wit`). Checked here first, so a script
/// gets a plain Lua error before any list is built.
const MAX_NAMES_PER_CALL: usize = 64;

fn too_many_names(what: &str, count: usize) -> String {
    format!("{what}: {count} component names in one call; at most {MAX_NAMES_PER_CALL}")
}

/// Raises `message` as a Lua error, after dropping the Rust string.
unsafe fn raise(l: *mut lua_State, message: String) -> c_int {
    unsafe {
        lua_pushlstring(l, message.as_ptr().cast(), message.len());
        drop(message);
        lua_error(l)
    }
}

/// Raises an ECS error with the host's message.
unsafe fn raise_ecs(l: *mut lua_State, error: EcsError) -> c_int {
    unsafe { raise(l, error.message) }
}

/// Returns no values to Lua, or raises the host's refusal.
unsafe fn no_results(l: *mut lua_State, outcome: Result<(), EcsError>) -> c_int {
    unsafe {
        match outcome {
            Ok(()) => 0,
            Err(error) => raise_ecs(l, error),
        }
    }
}

unsafe fn check_entity(l: *mut lua_State, index: c_int) -> u64 {
    unsafe { luaL_checkinteger(l, index) as u64 }
}

/// A string argument (component name) as UTF-8, invalid bytes replaced.
unsafe fn check_name(l: *mut lua_State, index: c_int) -> String {
    unsafe {
        let mut len = 0usize;
        let data = luaL_checklstring(l, index, &mut len);
        String::from_utf8_lossy(std::slice::from_raw_parts(data.cast::<u8>(), len)).into_owned()
    }
}

/// `ecs.spawn{Name = value, ...}` → entity.
unsafe extern "C-unwind" fn spawn(l: *mut lua_State) -> c_int {
    unsafe {
        if lua_isnoneornil(l, 1) != 0 {
            lua_settop(l, 0);
            lua_createtable(l, 0, 0);
        }
        luaL_checktype(l, 1, LUA_TTABLE);
        let mut components = Vec::new();
        let mut refusal = None;
        lua_pushnil(l);
        while lua_next(l, 1) != 0 {
            if lua_type(l, -2) != LUA_TSTRING {
                refusal = Some("ecs.spawn: component names must be strings".to_string());
                lua_pop(l, 2);
                break;
            }
            if components.len() == MAX_NAMES_PER_CALL {
                refusal = Some(too_many_names("ecs.spawn", components.len() + 1));
                lua_pop(l, 2);
                break;
            }
            let name = crate::errors::lossy_string(l, -2);
            match encode_value(l, -1) {
                Ok(value) => components.push((name, value)),
                Err(error) => {
                    refusal = Some(format!("ecs.spawn: component {name}: {error}"));
                    lua_pop(l, 2);
                    break;
                }
            }
            lua_pop(l, 1);
        }
        if let Some(message) = refusal {
            drop(components);
            return raise(l, message);
        }
        let outcome = ecs::spawn(&components);
        drop(components);
        match outcome {
            Ok(entity) => {
                lua_pushinteger(l, entity as lua_Integer);
                1
            }
            Err(error) => raise_ecs(l, error),
        }
    }
}

/// `ecs.despawn(e)`.
unsafe extern "C-unwind" fn despawn(l: *mut lua_State) -> c_int {
    unsafe { no_results(l, ecs::despawn(check_entity(l, 1))) }
}

/// `ecs.exists(e)` → boolean.
unsafe extern "C-unwind" fn exists(l: *mut lua_State) -> c_int {
    unsafe {
        let found = ecs::exists(check_entity(l, 1));
        lua_pushboolean(l, c_int::from(found));
        1
    }
}

/// `ecs.get(e, "Name")` → table (or other value), or nil.
unsafe extern "C-unwind" fn get(l: *mut lua_State) -> c_int {
    unsafe {
        let entity = check_entity(l, 1);
        let name = check_name(l, 2);
        let outcome = ecs::get(entity, &name);
        drop(name);
        match outcome {
            Ok(None) => {
                lua_pushnil(l);
                1
            }
            // Streams the text onto the stack. Only running out of memory
            // can raise meanwhile, and then the text leaks inside the
            // sandbox, which is out of memory anyway.
            Ok(Some(text)) => match push_json(l, &text) {
                Ok(()) => {
                    drop(text);
                    1
                }
                Err(error) => {
                    drop(text);
                    raise(l, format!("ecs.get: the host sent bad JSON: {error}"))
                }
            },
            Err(error) => raise_ecs(l, error),
        }
    }
}

/// `ecs.insert(e, "Name", value)`.
unsafe extern "C-unwind" fn insert(l: *mut lua_State) -> c_int {
    unsafe {
        let entity = check_entity(l, 1);
        luaL_checkany(l, 3);
        let name = check_name(l, 2);
        let value = match encode_value(l, 3) {
            Ok(value) => value,
            Err(error) => {
                let message = format!("ecs.insert: component {name}: {error}");
                drop(name);
                return raise(l, message);
            }
        };
        let outcome = ecs::insert(entity, &name, &value);
        drop((name, value));
        no_results(l, outcome)
    }
}

/// `ecs.remove(e, "Name")`.
unsafe extern "C-unwind" fn remove(l: *mut lua_State) -> c_int {
    unsafe {
        let entity = check_entity(l, 1);
        let name = check_name(l, 2);
        let outcome = ecs::remove(entity, &name);
        drop(name);
        no_results(l, outcome)
    }
}

/// `ecs.has(e, "Name")` → boolean.
unsafe extern "C-unwind" fn has(l: *mut lua_State) -> c_int {
    unsafe {
        let entity = check_entity(l, 1);
        let name = check_name(l, 2);
        let outcome = ecs::has(entity, &name);
        drop(name);
        match outcome {
            Ok(found) => {
                lua_pushboolean(l, c_int::from(found));
                1
            }
            Err(error) => raise_ecs(l, error),
        }
    }
}

/// `ecs.query("A", "B", ... [, {without = {"C", ...}}])` → array of entities.
unsafe extern "C-unwind" fn query(l: *mut lua_State) -> c_int {
    unsafe {
        let mut count = lua_gettop(l);
        let mut without = Vec::new();
        if count > 0 && lua_type(l, count) == LUA_TTABLE {
            lua_getfield(l, count, c"without".as_ptr());
            if lua_type(l, -1) == LUA_TTABLE {
                let length = lua_rawlen(l, -1);
                let names = length.saturating_add((count - 1) as usize);
                if names > MAX_NAMES_PER_CALL {
                    return raise(l, too_many_names("ecs.query", names));
                }
                for position in 1..=length {
                    lua_rawgeti(l, -1, position as lua_Integer);
                    if lua_type(l, -1) != LUA_TSTRING {
                        drop(without);
                        return raise(l, "ecs.query: `without` must list component names".into());
                    }
                    without.push(crate::errors::lossy_string(l, -1));
                    lua_pop(l, 1);
                }
            }
            lua_pop(l, 1);
            count -= 1;
        }
        if count as usize + without.len() > MAX_NAMES_PER_CALL {
            let names = count as usize + without.len();
            drop(without);
            return raise(l, too_many_names("ecs.query", names));
        }
        let mut with = Vec::new();
        for index in 1..=count {
            if lua_type(l, index) != LUA_TSTRING {
                drop((with, without));
                return raise(
                    l,
                    format!("ecs.query: argument {index} must be a component name"),
                );
            }
            with.push(crate::errors::lossy_string(l, index));
        }
        let outcome = ecs::query(&with, &without);
        drop((with, without));
        match outcome {
            Ok(entities) => {
                lua_createtable(l, c_int::try_from(entities.len()).unwrap_or(0), 0);
                for (position, entity) in entities.iter().enumerate() {
                    lua_pushinteger(l, *entity as lua_Integer);
                    lua_rawseti(l, -2, position as lua_Integer + 1);
                }
                1
            }
            Err(error) => raise_ecs(l, error),
        }
    }
}

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

/// Sets a global table `name` holding `functions`.
unsafe fn set_library(l: *mut lua_State, name: &CStr, functions: &[(&CStr, lua_CFunction)]) {
    unsafe {
        lua_createtable(l, 0, c_int::try_from(functions.len()).unwrap_or(0));
        for (field, function) in functions {
            lua_pushcfunction(l, *function);
            lua_setfield(l, -2, field.as_ptr());
        }
        lua_setglobal(l, name.as_ptr());
    }
}

/// Installs `ecs` and `log`.
///
/// # Safety
/// `l` must be a valid Lua state; call under protection (may raise).
pub unsafe fn open(l: *mut lua_State) {
    unsafe {
        set_library(
            l,
            c"ecs",
            &[
                (c"spawn", spawn),
                (c"despawn", despawn),
                (c"exists", exists),
                (c"get", get),
                (c"insert", insert),
                (c"remove", remove),
                (c"has", has),
                (c"query", query),
            ],
        );
        set_library(
            l,
            c"log",
            &[
                (c"info", log_info),
                (c"warn", log_warn),
                (c"error", log_error),
            ],
        );
    }
}
