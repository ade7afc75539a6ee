//! The values a chunk returns, as JSON text.
//!
//! Tables are read raw (no metamethods run), so encoding cannot call back into
//! the script. A table whose keys are exactly 1..n is an array, any other an
//! object (keys as text, sorted); functions, threads and userdata become
//! `"<function>"` and so on; NaN and infinities become `null`; nesting deeper
//! than [`MAX_DEPTH`] (or a cycle) becomes `"<nested too deeply>"`.

use std::ffi::{CStr, c_int};

use mlua_sys::*;
use serde_json::{Map, Number, Value};

use crate::errors::lossy_string;

/// How deep tables may nest in a result.
const MAX_DEPTH: usize = 32;

/// Encodes stack slots `first..=last`: `null` for none, the value for one, an
/// array for several.
///
/// # Safety
/// `l` must be a valid Lua state; `first..=last` valid stack indices.
pub unsafe fn encode_results(l: *mut lua_State, first: c_int, last: c_int) -> String {
    let mut values: Vec<Value> = (first..=last)
        .map(|index| unsafe { to_json(l, index, 0) })
        .collect();
    let value = match values.len() {
        0 => Value::Null,
        1 => values.remove(0),
        _ => Value::Array(values),
    };
    value.to_string()
}

unsafe fn to_json(l: *mut lua_State, index: c_int, depth: usize) -> Value {
    unsafe {
        match lua_type(l, index) {
            LUA_TNIL => Value::Null,
            LUA_TBOOLEAN => Value::Bool(lua_toboolean(l, index) != 0),
            LUA_TNUMBER => number(l, index).map_or(Value::Null, Value::Number),
            LUA_TSTRING => Value::String(lossy_string(l, index)),
            LUA_TTABLE if depth < MAX_DEPTH && lua_checkstack(l, 3) != 0 => {
                table(l, lua_absindex(l, index), depth)
            }
            LUA_TTABLE => Value::String("<nested too deeply>".into()),
            _ => Value::String(format!("<{}>", type_name(l, index))),
        }
    }
}

unsafe fn number(l: *mut lua_State, index: c_int) -> Option<Number> {
    unsafe {
        if lua_isinteger(l, index) != 0 {
            Some(Number::from(lua_tointeger(l, index)))
        } else {
            Number::from_f64(lua_tonumber(l, index))
        }
    }
}

unsafe fn table(l: *mut lua_State, index: c_int, depth: usize) -> Value {
    unsafe {
        let length = lua_rawlen(l, index);
        let mut keys = 0usize;
        lua_pushnil(l);
        while lua_next(l, index) != 0 {
            keys += 1;
            lua_pop(l, 1);
        }
        if length > 0 && keys == length {
            let items = (1..=length)
                .map(|position| {
                    lua_rawgeti(l, index, position as lua_Integer);
                    let item = to_json(l, -1, depth + 1);
                    lua_pop(l, 1);
                    item
                })
                .collect();
            return Value::Array(items);
        }
        let mut object = Map::new();
        lua_pushnil(l);
        while lua_next(l, index) != 0 {
            let key = key_text(l, -2);
            let item = to_json(l, -1, depth + 1);
            object.insert(key, item);
            lua_pop(l, 1);
        }
        Value::Object(object)
    }
}

/// A table key as text, without converting it in place (which would break
/// `lua_next`).
unsafe fn key_text(l: *mut lua_State, index: c_int) -> String {
    unsafe {
        match lua_type(l, index) {
            LUA_TSTRING => lossy_string(l, index),
            LUA_TNUMBER if lua_isinteger(l, index) != 0 => lua_tointeger(l, index).to_string(),
            LUA_TNUMBER => lua_tonumber(l, index).to_string(),
            LUA_TBOOLEAN => (lua_toboolean(l, index) != 0).to_string(),
            _ => format!("<{}>", type_name(l, index)),
        }
    }
}

unsafe fn type_name(l: *mut lua_State, index: c_int) -> String {
    unsafe {
        CStr::from_ptr(luaL_typename(l, index))
            .to_string_lossy()
            .into_owned()
    }
}

/// Pushes a JSON value as a Lua value: objects become tables with string
/// keys, arrays become sequences, `null` becomes `nil`.
///
/// # Safety
/// `l` must be a valid Lua state. May raise a Lua error (out of memory), so
/// call it where that is caught or fatal anyway.
pub unsafe fn push_json(l: *mut lua_State, value: &Value) {
    unsafe {
        if lua_checkstack(l, 3) == 0 {
            luaL_error(l, c"value nested too deeply".as_ptr());
        }
        match value {
            Value::Null => lua_pushnil(l),
            Value::Bool(flag) => lua_pushboolean(l, c_int::from(*flag)),
            Value::Number(number) => match number.as_i64() {
                Some(integer) => lua_pushinteger(l, integer),
                None => lua_pushnumber(l, number.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(text) => {
                lua_pushlstring(l, text.as_ptr().cast(), text.len());
            }
            Value::Array(items) => {
                lua_createtable(l, c_int::try_from(items.len()).unwrap_or(0), 0);
                for (position, item) in items.iter().enumerate() {
                    push_json(l, item);
                    lua_rawseti(l, -2, position as lua_Integer + 1);
                }
            }
            Value::Object(fields) => {
                lua_createtable(l, 0, c_int::try_from(fields.len()).unwrap_or(0));
                for (key, item) in fields {
                    lua_pushlstring(l, key.as_ptr().cast(), key.len());
                    push_json(l, item);
                    lua_rawset(l, -3);
                }
            }
        }
    }
}

/// The value at `index` as JSON text (see the module docs for the mapping).
///
/// # Safety
/// `l` must be a valid Lua state and `index` a valid stack index.
pub unsafe fn encode_value(l: *mut lua_State, index: c_int) -> String {
    unsafe { to_json(l, index, 0).to_string() }
}
