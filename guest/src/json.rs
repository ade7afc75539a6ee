//! Lua values ⇄ JSON text, with no value tree in between.
//!
//! Encoding reads tables raw (no metamethods run), so it cannot call back into
//! the script. A table whose keys are exactly 1..n is an array, any other an
//! object (keys as text, sorted; of keys with the same text the last one
//! `next` visits wins); functions, threads and userdata become `"<function>"`
//! and so on; NaN and infinities become `null`. A table that contains itself
//! (a cycle) or nests deeper than [`MAX_DEPTH`] is refused with an
//! [`EncodeError`] the moment the encoder reaches it: this one encoder
//! serves every path (component values, spawns, results), so none of them
//! can be made to walk a cycle.
//!
//! Decoding streams the text straight onto the Lua stack: objects become
//! tables with string keys, arrays sequences, `null` nil.

use std::ffi::{CStr, c_int, c_void};
use std::fmt;

use mlua_sys::*;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::errors::lossy_string;

/// How deep tables may nest in an encoded value.
const MAX_DEPTH: usize = 32;

/// Why a value cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// A table contains itself (directly or through other tables).
    Cycle,
    /// Tables nest deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Cycle => f.write_str("a table that contains itself cannot be encoded"),
            EncodeError::TooDeep => write!(
                f,
                "tables nested more than {MAX_DEPTH} deep cannot be encoded"
            ),
        }
    }
}

/// The tables on the way from the value being encoded to the current one.
type Path = Vec<*const c_void>;

/// Encodes stack slots `first..=last`: `null` for none, the value for one, an
/// array for several.
///
/// # Safety
/// `l` must be a valid Lua state; `first..=last` valid stack indices.
pub unsafe fn encode_results(
    l: *mut lua_State,
    first: c_int,
    last: c_int,
) -> Result<String, EncodeError> {
    let mut out = Vec::new();
    let mut path = Path::new();
    unsafe {
        match last - first {
            -1 => out.extend_from_slice(b"null"),
            0 => write_value(&mut out, l, first, &mut path)?,
            _ => {
                out.push(b'[');
                for index in first..=last {
                    if index > first {
                        out.push(b',');
                    }
                    write_value(&mut out, l, index, &mut path)?;
                }
                out.push(b']');
            }
        }
    }
    Ok(into_text(out))
}

/// The value at `index` as JSON text (see the module docs for the mapping).
///
/// # Safety
/// `l` must be a valid Lua state and `index` a valid stack index.
pub unsafe fn encode_value(l: *mut lua_State, index: c_int) -> Result<String, EncodeError> {
    let mut out = Vec::new();
    unsafe { write_value(&mut out, l, index, &mut Path::new())? };
    Ok(into_text(out))
}

/// The writers below only ever write valid UTF-8.
fn into_text(out: Vec<u8>) -> String {
    String::from_utf8(out)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

unsafe fn write_value(
    out: &mut Vec<u8>,
    l: *mut lua_State,
    index: c_int,
    path: &mut Path,
) -> Result<(), EncodeError> {
    unsafe {
        match lua_type(l, index) {
            LUA_TNIL => out.extend_from_slice(b"null"),
            LUA_TBOOLEAN if lua_toboolean(l, index) != 0 => out.extend_from_slice(b"true"),
            LUA_TBOOLEAN => out.extend_from_slice(b"false"),
            LUA_TNUMBER if lua_isinteger(l, index) != 0 => {
                let _ = serde_json::to_writer(&mut *out, &lua_tointeger(l, index));
            }
            LUA_TNUMBER => {
                let number = lua_tonumber(l, index);
                if number.is_finite() {
                    let _ = serde_json::to_writer(&mut *out, &number);
                } else {
                    out.extend_from_slice(b"null");
                }
            }
            LUA_TSTRING => write_str(out, &lossy_string(l, index)),
            LUA_TTABLE => {
                let table = lua_topointer(l, index);
                if path.contains(&table) {
                    return Err(EncodeError::Cycle);
                }
                if path.len() >= MAX_DEPTH || lua_checkstack(l, 3) == 0 {
                    return Err(EncodeError::TooDeep);
                }
                path.push(table);
                write_table(out, l, lua_absindex(l, index), path)?;
                path.pop();
            }
            _ => write_str(out, &format!("<{}>", type_name(l, index))),
        }
    }
    Ok(())
}

unsafe fn write_table(
    out: &mut Vec<u8>,
    l: *mut lua_State,
    index: c_int,
    path: &mut Path,
) -> Result<(), EncodeError> {
    unsafe {
        let length = lua_rawlen(l, index);
        let mut keys = 0usize;
        lua_pushnil(l);
        while lua_next(l, index) != 0 {
            keys += 1;
            lua_pop(l, 1);
        }
        if length > 0 && keys == length {
            out.push(b'[');
            for position in 1..=length {
                if position > 1 {
                    out.push(b',');
                }
                lua_rawgeti(l, index, position as lua_Integer);
                let written = write_value(out, l, -1, path);
                lua_pop(l, 1);
                written?;
            }
            out.push(b']');
            return Ok(());
        }
        // Objects are written with sorted keys, so each field is encoded
        // apart first.
        let mut fields: Vec<(String, Vec<u8>)> = Vec::with_capacity(keys);
        lua_pushnil(l);
        while lua_next(l, index) != 0 {
            let mut value = Vec::new();
            if let Err(error) = write_value(&mut value, l, -1, path) {
                lua_pop(l, 2);
                return Err(error);
            }
            fields.push((key_text(l, -2), value));
            lua_pop(l, 1);
        }
        // Stable sort, then keep the last of equal keys.
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        out.push(b'{');
        let mut first = true;
        for (position, (key, value)) in fields.iter().enumerate() {
            if fields.get(position + 1).is_some_and(|next| next.0 == *key) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            write_str(out, key);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
    }
    Ok(())
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

/// Parses `text` and pushes the value; on malformed text pushes nothing and
/// returns the parser's message.
///
/// # Safety
/// `l` must be a valid Lua state. May raise a Lua error (out of memory, or
/// nesting deeper than the Lua stack allows), so call it where that is
/// caught or fatal anyway.
pub unsafe fn push_json(l: *mut lua_State, text: &str) -> Result<(), String> {
    let top = unsafe { lua_gettop(l) };
    let mut parser = serde_json::Deserializer::from_str(text);
    let pushed = Push(l).deserialize(&mut parser).and_then(|()| parser.end());
    pushed.map_err(|error| {
        unsafe { lua_settop(l, top) };
        error.to_string()
    })
}

/// Parses `text`, a JSON array, and pushes each of its elements; returns how
/// many. On malformed text pushes nothing and returns the parser's message.
///
/// # Safety
/// As [`push_json`].
pub unsafe fn push_json_items(l: *mut lua_State, text: &str) -> Result<c_int, String> {
    let top = unsafe { lua_gettop(l) };
    let mut parser = serde_json::Deserializer::from_str(text);
    let pushed = parser
        .deserialize_seq(Items(l))
        .and_then(|count| parser.end().map(|()| count));
    pushed.map_err(|error| {
        unsafe { lua_settop(l, top) };
        error.to_string()
    })
}

/// Pushes each element of a JSON array onto the stack, not in a table.
struct Items(*mut lua_State);

impl<'de> Visitor<'de> for Items {
    type Value = c_int;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<c_int, A::Error> {
        let mut count: c_int = 0;
        while items.next_element_seed(Push(self.0))?.is_some() {
            count = count.saturating_add(1);
        }
        Ok(count)
    }
}

/// Pushes the next JSON value onto the Lua stack of its state.
#[derive(Clone, Copy)]
struct Push(*mut lua_State);

impl<'de> DeserializeSeed<'de> for Push {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<(), D::Error> {
        // SAFETY: the state is valid for the whole parse (see `push_json`).
        if unsafe { lua_checkstack(self.0, 3) } == 0 {
            return Err(de::Error::custom("value nested too deeply"));
        }
        parser.deserialize_any(self)
    }
}

// SAFETY (all methods): `self.0` is a valid Lua state with stack room (checked
// in `deserialize`); each method leaves exactly one more value on the stack.
impl<'de> Visitor<'de> for Push {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        unsafe { lua_pushnil(self.0) };
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<(), E> {
        unsafe { lua_pushboolean(self.0, c_int::from(flag)) };
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, integer: i64) -> Result<(), E> {
        unsafe { lua_pushinteger(self.0, integer) };
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, integer: u64) -> Result<(), E> {
        match i64::try_from(integer) {
            Ok(integer) => unsafe { lua_pushinteger(self.0, integer) },
            Err(_) => unsafe { lua_pushnumber(self.0, integer as f64) },
        }
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<(), E> {
        unsafe { lua_pushnumber(self.0, number) };
        Ok(())
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        unsafe { lua_pushlstring(self.0, text.as_ptr().cast(), text.len()) };
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let l = self.0;
        let size = items.size_hint().and_then(|n| c_int::try_from(n).ok());
        unsafe { lua_createtable(l, size.unwrap_or(0), 0) };
        let mut position: lua_Integer = 0;
        while items.next_element_seed(self)?.is_some() {
            position += 1;
            unsafe { lua_rawseti(l, -2, position) };
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<(), A::Error> {
        let l = self.0;
        unsafe { lua_createtable(l, 0, 0) };
        while fields.next_key_seed(Key(l))?.is_some() {
            fields.next_value_seed(self)?;
            unsafe { lua_rawset(l, -3) };
        }
        Ok(())
    }
}

/// Pushes an object key as a Lua string.
struct Key(*mut lua_State);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<(), D::Error> {
        parser.deserialize_str(Push(self.0))
    }
}
