//! The Lua side of the world: the `ecs` global.
//!
//! Each function checks its arguments, calls the host through WIT and turns
//! a refused call into a Lua error (catchable by `pcall`), following
//! [`crate::stack`]'s rule: room made before pushing, no Rust value that
//! needs dropping alive when an error is raised.

use std::ffi::{CStr, c_int};

use mlua_sys::*;

use crate::lua::{lossy_string, lua_upvalueindex, string_bytes};
use crate::stack::{check_stack, has_room, raise};

use crate::luabox::sandbox::ecs::{self, EcsError};
use crate::value::{Values, encode_value, push_value};

/// The most component names one `ecs.query`, `ecs.each` or `ecs.spawn` may
/// carry (the host refuses more; see `wit/ecs.wit`). Checked here first, so
/// a script gets a plain Lua error before any list is built.
const MAX_NAMES_PER_CALL: usize = 64;

/// How many entities one `each-next` page asks for.
const EACH_PAGE: u32 = 256;

fn too_many_names(what: &str, count: usize) -> String {
    format!("{what}: {count} component names in one call; at most {MAX_NAMES_PER_CALL}")
}

/// Raises the host's refusal of `what` (`"ecs.get"`, ...) as a Lua error:
/// `script.lua:7: ecs.get: entity 12 does not exist`.
///
/// # Safety
/// As [`raise`].
unsafe fn raise_ecs(l: *mut lua_State, what: &str, error: EcsError) -> ! {
    let message = format!("{what}: {}", error.message);
    drop(error);
    // SAFETY: the caller's contract; the error is dropped, the message
    // handed over.
    unsafe { raise(l, message) }
}

/// Returns no values to Lua, or raises the host's refusal.
///
/// # Safety
/// As [`raise`].
unsafe fn no_results(l: *mut lua_State, what: &str, outcome: Result<(), EcsError>) -> c_int {
    // SAFETY: the caller's contract; the refusal is moved into `raise_ecs`.
    unsafe {
        match outcome {
            Ok(()) => 0,
            Err(error) => raise_ecs(l, what, error),
        }
    }
}

/// The entity at argument `index`, or raises.
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection.
unsafe fn check_entity(l: *mut lua_State, index: c_int) -> u64 {
    // SAFETY: a C function's frame under protection (the caller's
    // contract): `luaL_checkinteger` may raise there.
    unsafe { luaL_checkinteger(l, index) as u64 }
}

/// The host's number for the component named at `index` (a string, or a
/// number Lua turns into one, as for any string argument). Each name crosses
/// once per sandbox: later uses find it in the `ecs` functions' shared
/// upvalue, a table of resolved names. On failure returns the message to
/// raise.
///
/// # Safety
/// `l` must be a valid Lua state running one of the `ecs` closures, under
/// protection, with room for two values, and `index` a valid absolute stack
/// index; may raise (a non-string argument, or out of memory).
unsafe fn component(l: *mut lua_State, what: &str, index: c_int) -> Result<u32, String> {
    // SAFETY: the caller's contract: upvalue 1 is the names table, two
    // slots are free. The name's bytes stay valid while the argument is on
    // the stack; the Rust name is dropped before anything can raise.
    unsafe {
        let mut len = 0usize;
        let data = luaL_checklstring(l, index, &mut len);
        let names = lua_upvalueindex(1);
        lua_pushvalue(l, index);
        if lua_rawget(l, names) == LUA_TNUMBER {
            let id = lua_tointeger(l, -1) as u32;
            lua_pop(l, 1);
            return Ok(id);
        }
        lua_pop(l, 1);
        let name = String::from_utf8_lossy(std::slice::from_raw_parts(data.cast::<u8>(), len));
        let resolved = ecs::resolve(&name);
        drop(name);
        match resolved {
            Ok(id) => {
                lua_pushvalue(l, index);
                lua_pushinteger(l, lua_Integer::from(id));
                lua_rawset(l, names);
                Ok(id)
            }
            Err(error) => Err(format!("{what}: {}", error.message)),
        }
    }
}

/// A buffer for one encoded value, large enough for a typical component.
fn value_buffer() -> Vec<u8> {
    Vec::with_capacity(64)
}

/// The component numbers for the names at `first..=last`.
///
/// # Safety
/// As [`component`], for each of `first..=last`. Only running out of memory
/// can raise meanwhile (the names are strings), leaking the vector.
unsafe fn components(
    l: *mut lua_State,
    what: &str,
    first: c_int,
    last: c_int,
) -> Result<Vec<u32>, String> {
    let mut ids = Vec::with_capacity((last - first + 1).max(0) as usize);
    for index in first..=last {
        // SAFETY: the caller's contract, for each index.
        ids.push(unsafe { component(l, what, index) }?);
    }
    Ok(ids)
}

/// `ecs.spawn{Name = value, ...}` → entity.
unsafe extern "C-unwind" fn spawn(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // names table as upvalue 1. Room: the table, a key and value, and
    // `component`'s two. Keys are checked to be strings first, so only
    // running out of memory can raise while `components` is alive (it
    // leaks then); it is dropped before any other raise.
    unsafe {
        check_stack(l, 5, c"ecs.spawn");
        if lua_isnoneornil(l, 1) != 0 {
            lua_settop(l, 0);
            lua_createtable(l, 0, 0);
        }
        luaL_checktype(l, 1, LUA_TTABLE);
        lua_settop(l, 1);
        let mut components: Vec<(u32, Vec<u8>)> = Vec::new();
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
            let id = match component(l, "ecs.spawn", 2) {
                Ok(id) => id,
                Err(message) => {
                    refusal = Some(message);
                    lua_pop(l, 2);
                    break;
                }
            };
            let mut value = value_buffer();
            if let Err(error) = encode_value(&mut value, l, 3) {
                let name = lossy_string(l, 2);
                refusal = Some(format!("ecs.spawn: component {name}: {error}"));
                lua_pop(l, 2);
                break;
            }
            components.push((id, value));
            lua_pop(l, 1);
        }
        if let Some(message) = refusal {
            drop(components);
            raise(l, message);
        }
        let outcome = ecs::spawn(&components);
        drop(components);
        match outcome {
            Ok(entity) => {
                lua_pushinteger(l, entity as lua_Integer);
                1
            }
            Err(error) => raise_ecs(l, "ecs.spawn", error),
        }
    }
}

/// `ecs.despawn(e)`.
unsafe extern "C-unwind" fn despawn(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection; it pushes
    // nothing.
    unsafe { no_results(l, "ecs.despawn", ecs::despawn(check_entity(l, 1))) }
}

/// `ecs.exists(e)` → boolean.
unsafe extern "C-unwind" fn exists(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection; room is
    // made for the result.
    unsafe {
        check_stack(l, 1, c"ecs.exists");
        let found = ecs::exists(check_entity(l, 1));
        lua_pushboolean(l, c_int::from(found));
        1
    }
}

/// The entity and component arguments of `get`, `insert`, `remove`, `has`
/// (raises for a bad entity; returns the message for a bad component).
///
/// # Safety
/// As [`component`].
unsafe fn entity_and_component(l: *mut lua_State, what: &str) -> Result<(u64, u32), String> {
    // SAFETY: the caller's contract.
    unsafe {
        let entity = check_entity(l, 1);
        Ok((entity, component(l, what, 2)?))
    }
}

/// Pushes a value the host sent, or raises.
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection.
unsafe fn push_sent(l: *mut lua_State, what: &str, bytes: Vec<u8>) -> c_int {
    // SAFETY: the caller's contract; decoding makes its own room. Only
    // running out of memory can raise while `bytes` is alive: it leaks
    // then (see `crate::stack`).
    unsafe {
        match push_value(l, &bytes) {
            Ok(()) => {
                drop(bytes);
                1
            }
            Err(error) => {
                drop(bytes);
                let message = format!("{what}: the host sent a malformed value: {error}");
                drop(error);
                raise(l, message)
            }
        }
    }
}

/// `ecs.get(e, "Name")` → table (or other value), or nil.
unsafe extern "C-unwind" fn get(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // names table as upvalue 1; room for `component`'s two (the result
    // takes one). The WIT result is moved into what consumes it.
    unsafe {
        check_stack(l, 2, c"ecs.get");
        let (entity, id) = match entity_and_component(l, "ecs.get") {
            Ok(arguments) => arguments,
            Err(message) => raise(l, message),
        };
        match ecs::get(entity, id) {
            Ok(None) => {
                lua_pushnil(l);
                1
            }
            Ok(Some(bytes)) => push_sent(l, "ecs.get", bytes),
            Err(error) => raise_ecs(l, "ecs.get", error),
        }
    }
}

/// `ecs.insert(e, "Name", value)`.
unsafe extern "C-unwind" fn insert(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // names table as upvalue 1; room for `component`'s two. Encoding reads
    // raw and cannot raise; `value` is dropped before any raise.
    unsafe {
        check_stack(l, 2, c"ecs.insert");
        luaL_checkany(l, 3);
        let (entity, id) = match entity_and_component(l, "ecs.insert") {
            Ok(arguments) => arguments,
            Err(message) => raise(l, message),
        };
        let mut value = value_buffer();
        if let Err(error) = encode_value(&mut value, l, 3) {
            drop(value);
            let message = format!("ecs.insert: component {}: {error}", lossy_string(l, 2));
            raise(l, message);
        }
        let outcome = ecs::insert(entity, id, &value);
        drop(value);
        no_results(l, "ecs.insert", outcome)
    }
}

/// `ecs.emit("name", payload)`: an event for the next tick.
unsafe extern "C-unwind" fn emit(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection; room for
    // the payload made nil. `name` borrows argument 1, which stays on the
    // stack; `payload` is dropped before any raise.
    unsafe {
        check_stack(l, 2, c"ecs.emit");
        let mut len = 0usize;
        let data = luaL_checklstring(l, 1, &mut len);
        let name = match std::str::from_utf8(std::slice::from_raw_parts(data.cast::<u8>(), len)) {
            Ok(name) => name,
            Err(_) => raise(l, "ecs.emit: the event name is not UTF-8".into()),
        };
        // No payload is nil.
        lua_settop(l, 2);
        let mut payload = value_buffer();
        if let Err(error) = encode_value(&mut payload, l, 2) {
            drop(payload);
            let message = format!("ecs.emit: event {}: {error}", lossy_string(l, 1));
            raise(l, message);
        }
        let outcome = ecs::emit(name, &payload);
        drop(payload);
        no_results(l, "ecs.emit", outcome)
    }
}

/// `ecs.remove(e, "Name")`.
unsafe extern "C-unwind" fn remove(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // names table as upvalue 1; room for `component`'s two.
    unsafe {
        check_stack(l, 2, c"ecs.remove");
        let (entity, id) = match entity_and_component(l, "ecs.remove") {
            Ok(arguments) => arguments,
            Err(message) => raise(l, message),
        };
        no_results(l, "ecs.remove", ecs::remove(entity, id))
    }
}

/// `ecs.has(e, "Name")` → boolean.
unsafe extern "C-unwind" fn has(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // names table as upvalue 1; room for `component`'s two.
    unsafe {
        check_stack(l, 2, c"ecs.has");
        let (entity, id) = match entity_and_component(l, "ecs.has") {
            Ok(arguments) => arguments,
            Err(message) => raise(l, message),
        };
        match ecs::has(entity, id) {
            Ok(found) => {
                lua_pushboolean(l, c_int::from(found));
                1
            }
            Err(error) => raise_ecs(l, "ecs.has", error),
        }
    }
}

/// Pushes a sequence of entities.
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection, with
/// room for two values.
unsafe fn push_entities(l: *mut lua_State, entities: &[u64]) {
    // SAFETY: the caller's contract: the table and one entity at a time.
    unsafe {
        lua_createtable(l, c_int::try_from(entities.len()).unwrap_or(0), 0);
        for (position, entity) in entities.iter().enumerate() {
            lua_pushinteger(l, *entity as lua_Integer);
            lua_rawseti(l, -2, position as lua_Integer + 1);
        }
    }
}

/// `ecs.query("A", "B", ... [, {without = {"C", ...}}])` → array of entities.
unsafe extern "C-unwind" fn query(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // names table as upvalue 1. Room: the `without` list, a name from it,
    // and `component`'s two. The vectors are dropped before any raise;
    // only running out of memory can raise while they are alive (the names
    // are checked to be strings first), leaking them.
    unsafe {
        check_stack(l, 4, c"ecs.query");
        let mut count = lua_gettop(l);
        let mut without = Vec::new();
        if count > 0 && lua_type(l, count) == LUA_TTABLE {
            let options = count;
            count -= 1;
            lua_getfield(l, options, c"without".as_ptr());
            if lua_type(l, -1) == LUA_TTABLE {
                let list = lua_gettop(l);
                let length = lua_rawlen(l, list);
                let names = length.saturating_add(count as usize);
                if names > MAX_NAMES_PER_CALL {
                    raise(l, too_many_names("ecs.query", names));
                }
                for position in 1..=length {
                    lua_rawgeti(l, list, position as lua_Integer);
                    if lua_type(l, -1) != LUA_TSTRING {
                        drop(without);
                        raise(l, "ecs.query: `without` must list component names".into());
                    }
                    match component(l, "ecs.query", lua_gettop(l)) {
                        Ok(id) => without.push(id),
                        Err(message) => {
                            drop(without);
                            raise(l, message);
                        }
                    }
                    lua_pop(l, 1);
                }
            }
            lua_pop(l, 1);
        }
        if count as usize + without.len() > MAX_NAMES_PER_CALL {
            let names = count as usize + without.len();
            drop(without);
            raise(l, too_many_names("ecs.query", names));
        }
        for index in 1..=count {
            if lua_type(l, index) != LUA_TSTRING {
                drop(without);
                raise(
                    l,
                    format!("ecs.query: argument {index} must be a component name"),
                );
            }
        }
        let with = match components(l, "ecs.query", 1, count) {
            Ok(ids) => ids,
            Err(message) => {
                drop(without);
                raise(l, message);
            }
        };
        let outcome = ecs::query(&with, &without);
        drop((with, without));
        match outcome {
            Ok(entities) => {
                push_entities(l, &entities);
                1
            }
            Err(error) => raise_ecs(l, "ecs.query", error),
        }
    }
}

/// `ecs.each("A", "B", ...)` → an iterator for a generic `for`, yielding
/// each entity with all of them and one value per name:
/// `for e, a, b in ecs.each("A", "B") do ... end`. Values come in pages of
/// [`EACH_PAGE`] entities, one crossing a page. A name given more than once
/// crosses once: the host sends each component's value once per entity,
/// and each repeat is decoded again from those bytes (a table of its own,
/// as every value is).
unsafe extern "C-unwind" fn each(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // names table as upvalue 1. Room: the 7 upvalues (more than
    // `component`'s two). `ids` is dropped before anything is pushed; the
    // rest are arrays.
    unsafe {
        check_stack(l, 7, c"ecs.each");
        let count = lua_gettop(l);
        if count == 0 {
            raise(l, "ecs.each: name at least one component".into());
        }
        if count as usize > MAX_NAMES_PER_CALL {
            raise(l, too_many_names("ecs.each", count as usize));
        }
        for index in 1..=count {
            if lua_type(l, index) != LUA_TSTRING {
                raise(
                    l,
                    format!("ecs.each: argument {index} must be a component name"),
                );
            }
        }
        let ids = match components(l, "ecs.each", 1, count) {
            Ok(ids) => ids,
            Err(message) => raise(l, message),
        };
        // The distinct components in the order first named, and for each
        // name the place of its component among them (at most 64: a byte).
        // Arrays, not vectors: pushing below may raise (`crate::stack`).
        let mut distinct = [0u32; MAX_NAMES_PER_CALL];
        let mut distinct_count = 0;
        let mut places = [0u8; MAX_NAMES_PER_CALL];
        for (name, id) in ids.iter().enumerate() {
            let known = distinct[..distinct_count]
                .iter()
                .position(|seen| seen == id);
            places[name] = match known {
                Some(place) => place as u8,
                None => {
                    distinct[distinct_count] = *id;
                    distinct_count += 1;
                    (distinct_count - 1) as u8
                }
            };
        }
        drop(ids);
        let names = count as usize;
        // The places string is made before the host opens a cursor, so
        // running out of memory leaves none open.
        if distinct_count < names {
            lua_pushlstring(l, places.as_ptr().cast(), names);
        } else {
            lua_pushnil(l); // one value per name, in order
        }
        let cursor = match ecs::each_open(&distinct[..distinct_count]) {
            Ok(cursor) => cursor,
            Err(error) => raise_ecs(l, "ecs.each", error),
        };
        lua_pushinteger(l, lua_Integer::from(cursor));
        lua_pushinteger(l, lua_Integer::from(count));
        lua_pushnil(l); // the page: entity, values, entity, values, ...
        lua_pushinteger(l, 0); // the page's length
        lua_pushinteger(l, 0); // the position in it
        lua_pushboolean(l, 0); // whether the last page came
        // The places string, made first, is the last upvalue.
        lua_rotate(l, -7, -1);
        lua_pushcclosure(l, each_step, 7);
        1
    }
}

const EACH_CURSOR: c_int = 1;
const EACH_WIDTH: c_int = 2;
const EACH_PAGE_TABLE: c_int = 3;
const EACH_PAGE_LENGTH: c_int = 4;
const EACH_POSITION: c_int = 5;
const EACH_DONE: c_int = 6;
/// For each name, the place of its component's value among an entity's
/// values in a page (a byte each), or nil when no name repeats.
const EACH_PLACES: c_int = 7;

/// Fills the page table on top of the stack from one `each-next` page:
/// entity, value per name, entity, ...; returns the slots filled or why the
/// page is malformed. `places` is [`EACH_PLACES`] (`None`: one value per
/// name, in order).
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection, with
/// room for two values above the page table; decoding makes its own.
unsafe fn fill_page(
    l: *mut lua_State,
    page: &ecs::Page,
    width: usize,
    places: Option<&[u8]>,
) -> Result<lua_Integer, String> {
    let mut values = Values::new(&page.values);
    // Where each of an entity's distinct values starts in `page.values` (an
    // array: decoding may raise, see `crate::stack`).
    let mut starts = [0usize; MAX_NAMES_PER_CALL];
    let mut slot: lua_Integer = 0;
    for entity in &page.entities {
        // SAFETY: the caller's contract: the page table is on top, with room.
        unsafe {
            lua_pushinteger(l, *entity as lua_Integer);
            slot += 1;
            lua_rawseti(l, -2, slot);
        }
        let mut started = 0;
        for name in 0..width {
            let place = places
                .and_then(|places| places.get(name))
                .map_or(name, |place| usize::from(*place));
            if place == started && started < MAX_NAMES_PER_CALL {
                // The first name with this component: the next value.
                starts[started] = values.position();
                started += 1;
                // SAFETY: the caller's contract.
                unsafe { values.push_next(l) }?;
            } else {
                let start = starts[..started].get(place).copied().unwrap_or(usize::MAX);
                let bytes = page.values.get(start..).unwrap_or_default();
                // SAFETY: the caller's contract.
                unsafe { Values::new(bytes).push_next(l) }?;
            }
            slot += 1;
            // SAFETY: the value just pushed is on top, the page table below.
            unsafe { lua_rawseti(l, -2, slot) };
        }
    }
    Ok(slot)
}

/// One step of an `ecs.each` iterator: the next entity and its values, or
/// nil at the end.
unsafe extern "C-unwind" fn each_step(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // upvalues `each` gave it; room is made for all it returns. `page` is
    // dropped before any raise, and only running out of memory can raise
    // while it is alive (filling the page), leaking it.
    unsafe {
        let upvalue = |n| lua_upvalueindex(n);
        let width = lua_tointeger(l, upvalue(EACH_WIDTH)) as c_int;
        // It returns the entity and `width` values; the page table and a
        // value being decoded need two more.
        if !has_room(l, width + 3) {
            raise(
                l,
                format!("ecs.each: no stack space for {} values", width + 1),
            );
        }
        let mut position = lua_tointeger(l, upvalue(EACH_POSITION));
        if position >= lua_tointeger(l, upvalue(EACH_PAGE_LENGTH)) {
            if lua_toboolean(l, upvalue(EACH_DONE)) != 0 {
                lua_pushnil(l);
                return 1;
            }
            let cursor = lua_tointeger(l, upvalue(EACH_CURSOR)) as u32;
            let page = match ecs::each_next(cursor, EACH_PAGE) {
                Ok(page) => page,
                Err(error) => raise_ecs(l, "ecs.each", error),
            };
            if page.entities.len() < EACH_PAGE as usize {
                lua_pushboolean(l, 1);
                lua_replace(l, upvalue(EACH_DONE));
            }
            let length = page.entities.len() * (width as usize + 1);
            lua_createtable(l, c_int::try_from(length).unwrap_or(0), 0);
            let places = (lua_type(l, upvalue(EACH_PLACES)) == LUA_TSTRING)
                .then(|| string_bytes(l, upvalue(EACH_PLACES)));
            let filled = fill_page(l, &page, width as usize, places);
            drop(page);
            let slot = match filled {
                Ok(slot) => slot,
                Err(error) => {
                    let message = format!("ecs.each: the host sent a malformed value: {error}");
                    drop(error);
                    raise(l, message);
                }
            };
            lua_replace(l, upvalue(EACH_PAGE_TABLE));
            lua_pushinteger(l, slot);
            lua_replace(l, upvalue(EACH_PAGE_LENGTH));
            position = 0;
            if slot == 0 {
                lua_pushnil(l);
                return 1;
            }
        }
        for offset in 1..=lua_Integer::from(width + 1) {
            lua_rawgeti(l, upvalue(EACH_PAGE_TABLE), position + offset);
        }
        lua_pushinteger(l, position + lua_Integer::from(width + 1));
        lua_replace(l, upvalue(EACH_POSITION));
        width + 1
    }
}

/// Sets a global table `name` holding `functions`, each a closure over the
/// value on top of the stack (popped).
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection, with
/// a value on top of the stack.
pub unsafe fn set_library(l: *mut lua_State, name: &CStr, functions: &[(&CStr, lua_CFunction)]) {
    // SAFETY: the caller's contract; room is made for the table, the
    // upvalue's copy and the closure.
    unsafe {
        check_stack(l, 2, c"library");
        let upvalue = lua_gettop(l);
        lua_createtable(l, 0, c_int::try_from(functions.len()).unwrap_or(0));
        for (field, function) in functions {
            lua_pushvalue(l, upvalue);
            lua_pushcclosure(l, *function, 1);
            lua_setfield(l, -2, field.as_ptr());
        }
        lua_setglobal(l, name.as_ptr());
        lua_pop(l, 1);
    }
}

/// Installs `ecs`, `log` and `task`.
///
/// # Safety
/// `l` must be a valid Lua state running a C function, under protection
/// (may raise).
pub unsafe fn open(l: *mut lua_State) {
    // SAFETY: the caller's contract; room is made for each library's
    // upvalue, and `set_library` makes its own.
    unsafe {
        check_stack(l, 1, c"ecs");
        // The table of resolved component names, shared by the `ecs` functions.
        lua_createtable(l, 0, 8);
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
                (c"each", each),
                (c"emit", emit),
            ],
        );
        lua_pushnil(l);
        set_library(l, c"log", crate::console::LOG_FUNCTIONS);
        lua_pushnil(l);
        set_library(l, c"task", crate::tasks::TASK_FUNCTIONS);
    }
}
