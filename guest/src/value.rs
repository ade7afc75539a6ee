//! Lua values ⇄ MessagePack, with no value tree in between: the one encoder
//! and the one decoder every crossing uses (component values, spawns,
//! results, call arguments, event payloads).
//!
//! Encoding reads tables raw (no metamethods run), so it cannot call back into
//! the script. A table whose keys are exactly 1..n is an array, any other a
//! map: string and integer keys stay as they are, other keys become text
//! (`"1.5"`, `"true"`, `"<table>"`); NaN and infinities become nil. In a
//! result (what a run returns, for display) functions, threads and userdata
//! become the text `"<function>"` and so on; in data for the world (component
//! values, spawns, event payloads) they are refused with
//! [`EncodeError::NotData`], so nothing is stored as a placeholder. A table
//! that contains itself (a cycle) or nests deeper than [`MAX_DEPTH`] is
//! refused with an [`EncodeError`] the moment the encoder reaches it, so no
//! path can be made to walk a cycle.
//!
//! Decoding streams the bytes straight onto the Lua stack: maps become tables
//! with string or integer keys, arrays sequences, nil nil, binary strings.
//!
//! As [`crate::stack`] asks: encoding calls no Lua function that can raise
//! (raw reads, `lua_next` over keys it gave, `lua_checkstack`), so it may
//! hold its buffers; decoding may raise (out of memory), and holds nothing
//! that needs dropping. Both make their own room, and report a stack that
//! cannot grow as a value nested too deeply rather than raise.

use std::ffi::{c_int, c_void};
use std::fmt;

use mlua_sys::*;
use rmp::encode;

use crate::lua::{string_bytes, type_name};
use crate::stack::has_room;

/// How deep tables may nest in an encoded value.
const MAX_DEPTH: usize = 32;

/// Why a value cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// A table contains itself (directly or through other tables).
    Cycle,
    /// Tables nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A value of this type (`"function"`, `"thread"`, `"userdata"`) in
    /// data for the world.
    NotData(&'static str),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Cycle => f.write_str("a table that contains itself cannot be encoded"),
            EncodeError::TooDeep => {
                write!(
                    f,
                    "tables nested more than {MAX_DEPTH} deep cannot be encoded"
                )
            }
            EncodeError::NotData(kind) => write!(
                f,
                "a {kind} is not data (values are nil, booleans, numbers, strings and tables)"
            ),
        }
    }
}

/// One encoding's walk: the tables on the way from the value being encoded
/// to the current one, and whether values that are not data are refused.
struct Walk {
    path: Vec<*const c_void>,
    data_only: bool,
}

impl Walk {
    fn new(data_only: bool) -> Self {
        Walk {
            path: Vec::new(),
            data_only,
        }
    }
}

/// Encodes stack slots `first..=last`: nil for none, the value for one, an
/// array for several.
///
/// # Safety
/// `l` must be a valid Lua state; `first..=last` valid stack indices.
pub unsafe fn encode_results(
    l: *mut lua_State,
    first: c_int,
    last: c_int,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(64);
    let mut walk = Walk::new(false);
    // SAFETY: the caller's contract: each index is valid.
    unsafe {
        match last - first {
            -1 => write_nil(&mut out),
            0 => write_value(&mut out, l, first, &mut walk)?,
            count => {
                let _ = encode::write_array_len(&mut out, (count + 1) as u32);
                for index in first..=last {
                    write_value(&mut out, l, index, &mut walk)?;
                }
            }
        }
    }
    Ok(out)
}

/// The value at `index` as MessagePack data for the world, appended to
/// `out`: functions, threads and userdata are refused.
///
/// # Safety
/// `l` must be a valid Lua state and `index` a valid stack index.
pub unsafe fn encode_value(
    out: &mut Vec<u8>,
    l: *mut lua_State,
    index: c_int,
) -> Result<(), EncodeError> {
    // SAFETY: the caller's contract.
    unsafe { write_value(out, l, index, &mut Walk::new(true)) }
}

// Writing into a `Vec` cannot fail; the writers' results say nothing.
fn write_nil(out: &mut Vec<u8>) {
    let _ = encode::write_nil(out);
}

/// Writes Lua string bytes as a MessagePack string (invalid UTF-8 replaced).
fn write_text(out: &mut Vec<u8>, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let _ = encode::write_str(out, text);
        }
        Err(_) => {
            let _ = encode::write_str(out, &String::from_utf8_lossy(bytes));
        }
    }
}

/// Appends the value at `index`.
///
/// # Safety
/// `l` must be a valid Lua state and `index` a valid stack index.
unsafe fn write_value(
    out: &mut Vec<u8>,
    l: *mut lua_State,
    index: c_int,
    walk: &mut Walk,
) -> Result<(), EncodeError> {
    // SAFETY: the caller's contract; strings are read in place (never
    // converted), and a table is walked only once room for its key, value
    // and element is made.
    unsafe {
        match lua_type(l, index) {
            LUA_TNIL => write_nil(out),
            LUA_TBOOLEAN => {
                let _ = encode::write_bool(out, lua_toboolean(l, index) != 0);
            }
            LUA_TNUMBER if lua_isinteger(l, index) != 0 => {
                let _ = encode::write_sint(out, lua_tointeger(l, index));
            }
            LUA_TNUMBER => {
                let number = lua_tonumber(l, index);
                if number.is_finite() {
                    let _ = encode::write_f64(out, number);
                } else {
                    write_nil(out);
                }
            }
            LUA_TSTRING => write_text(out, string_bytes(l, index)),
            LUA_TTABLE => {
                let table = lua_topointer(l, index);
                if walk.path.contains(&table) {
                    return Err(EncodeError::Cycle);
                }
                if walk.path.len() >= MAX_DEPTH || !has_room(l, 3) {
                    return Err(EncodeError::TooDeep);
                }
                walk.path.push(table);
                write_table(out, l, lua_absindex(l, index), walk)?;
                walk.path.pop();
            }
            kind if walk.data_only => {
                return Err(EncodeError::NotData(match kind {
                    LUA_TFUNCTION => "function",
                    LUA_TTHREAD => "thread",
                    _ => "userdata",
                }));
            }
            _ => {
                let _ = encode::write_str(out, &format!("<{}>", type_name(l, index)));
            }
        }
    }
    Ok(())
}

/// Appends the table at `index`, an array when its keys are exactly 1..n.
///
/// # Safety
/// `l` must be a valid Lua state, `index` an absolute index of a table, and
/// room made for three values.
unsafe fn write_table(
    out: &mut Vec<u8>,
    l: *mut lua_State,
    index: c_int,
    walk: &mut Walk,
) -> Result<(), EncodeError> {
    // SAFETY: the caller's contract; `lua_next` is given only keys it
    // returned, every push is popped on the way out, and at most a key,
    // a value and an element are above the table.
    unsafe {
        let length = lua_rawlen(l, index);
        if length > 0 {
            let mut keys = 0usize;
            lua_pushnil(l);
            while lua_next(l, index) != 0 {
                keys += 1;
                lua_pop(l, 1);
            }
            if keys == length {
                let _ = encode::write_array_len(out, length as u32);
                for position in 1..=length {
                    lua_rawgeti(l, index, position as lua_Integer);
                    let written = write_value(out, l, -1, walk);
                    lua_pop(l, 1);
                    written?;
                }
                return Ok(());
            }
        }
        // A map, written in one pass: a 32-bit length, filled in after.
        out.push(0xdf);
        let length_at = out.len();
        out.extend_from_slice(&[0; 4]);
        let mut keys: u32 = 0;
        lua_pushnil(l);
        while lua_next(l, index) != 0 {
            write_key(out, l, -2);
            if let Err(error) = write_value(out, l, -1, walk) {
                lua_pop(l, 2);
                return Err(error);
            }
            keys = keys.saturating_add(1);
            lua_pop(l, 1);
        }
        out[length_at..length_at + 4].copy_from_slice(&keys.to_be_bytes());
    }
    Ok(())
}

/// A map key: strings and integers as they are, anything else as text
/// (without converting the key in place, which would break `lua_next`).
///
/// # Safety
/// `l` must be a valid Lua state and `index` a valid stack index.
unsafe fn write_key(out: &mut Vec<u8>, l: *mut lua_State, index: c_int) {
    // SAFETY: the caller's contract; only reads, no conversion in place.
    unsafe {
        match lua_type(l, index) {
            LUA_TSTRING => write_text(out, string_bytes(l, index)),
            LUA_TNUMBER if lua_isinteger(l, index) != 0 => {
                let _ = encode::write_sint(out, lua_tointeger(l, index));
            }
            LUA_TNUMBER => {
                let _ = encode::write_str(out, &lua_tonumber(l, index).to_string());
            }
            LUA_TBOOLEAN => {
                let _ = encode::write_str(out, &(lua_toboolean(l, index) != 0).to_string());
            }
            _ => {
                let _ = encode::write_str(out, &format!("<{}>", type_name(l, index)));
            }
        }
    }
}

/// The most tables a decoded value may nest (the host's values are checked,
/// but the guest does not rely on it).
const MAX_DECODE_DEPTH: usize = 128;

/// Decodes `bytes` (one MessagePack value) and pushes the value; on malformed
/// bytes pushes nothing and returns why.
///
/// # Safety
/// `l` must be a valid Lua state running a C function under protection: it
/// may raise (out of memory; see [`crate::stack`]).
pub unsafe fn push_value(l: *mut lua_State, bytes: &[u8]) -> Result<(), String> {
    // SAFETY: the caller's contract.
    unsafe { Values::new(bytes).push_next(l) }
}

/// Decodes `bytes`, a MessagePack array, and pushes each of its elements;
/// returns how many. On malformed bytes pushes nothing and returns why.
///
/// # Safety
/// As [`push_value`].
pub unsafe fn push_items(l: *mut lua_State, bytes: &[u8]) -> Result<c_int, String> {
    // SAFETY: a valid state (the caller's contract).
    let top = unsafe { lua_gettop(l) };
    let mut values = Values::new(bytes);
    let pushed = values.array_length().and_then(|count| {
        for _ in 0..count {
            // SAFETY: the caller's contract; each value makes its own room.
            unsafe { values.push_next(l) }?;
        }
        c_int::try_from(count).map_err(|_| "too many arguments".to_string())
    });
    // SAFETY: `top` was the stack's top, so this only pops what was pushed.
    pushed.inspect_err(|_| unsafe { lua_settop(l, top) })
}

/// Consecutive MessagePack values, decoded one at a time straight onto a Lua
/// stack: a small reader of its own rather than serde, so strings are pushed
/// as the bytes they are (the host sends valid UTF-8; Lua strings are bytes
/// anyway) and nothing is built in between.
pub struct Values<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Values<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Values { bytes, at: 0 }
    }

    /// Where the next value starts in the bytes.
    pub fn position(&self) -> usize {
        self.at
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(count)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| "the value ends early".to_string())?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn number<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// The length of a length-prefixed item whose marker was `marker`, for
    /// the 8, 16 and 32-bit forms starting at `first`.
    fn length(&mut self, marker: u8, first: u8) -> Result<usize, String> {
        Ok(match marker - first {
            0 => usize::from(self.byte()?),
            1 => usize::from(u16::from_be_bytes(self.number()?)),
            _ => u32::from_be_bytes(self.number()?) as usize,
        })
    }

    /// Reads an array header; returns its length.
    fn array_length(&mut self) -> Result<usize, String> {
        match self.byte()? {
            marker @ 0x90..=0x9f => Ok(usize::from(marker & 0x0f)),
            0xdc => Ok(usize::from(u16::from_be_bytes(self.number()?))),
            0xdd => Ok(u32::from_be_bytes(self.number()?) as usize),
            _ => Err("expected an array".into()),
        }
    }

    /// Decodes the next value and pushes it; on malformed bytes pushes
    /// nothing and returns why.
    ///
    /// # Safety
    /// As [`push_value`].
    pub unsafe fn push_next(&mut self, l: *mut lua_State) -> Result<(), String> {
        // SAFETY: a valid state (the caller's contract).
        let top = unsafe { lua_gettop(l) };
        // SAFETY: the caller's contract; on failure `top` was the stack's
        // top, so only what was pushed is popped.
        unsafe { self.push(l, 0) }.inspect_err(|_| unsafe { lua_settop(l, top) })
    }

    /// Decodes the next value and pushes it, `depth` tables deep.
    ///
    /// # Safety
    /// As [`push_value`].
    unsafe fn push(&mut self, l: *mut lua_State, depth: usize) -> Result<(), String> {
        // SAFETY: a valid state (the caller's contract).
        if depth > MAX_DECODE_DEPTH || !unsafe { has_room(l, 3) } {
            return Err("value nested too deeply".into());
        }
        let marker = self.byte()?;
        // SAFETY: room for the value (and a table's key and value) is made
        // above; pushing may raise only where the caller allows it.
        unsafe {
            match marker {
                0x00..=0x7f => lua_pushinteger(l, lua_Integer::from(marker)),
                0xe0..=0xff => lua_pushinteger(l, lua_Integer::from(marker as i8)),
                0xc0 => lua_pushnil(l),
                0xc2 => lua_pushboolean(l, 0),
                0xc3 => lua_pushboolean(l, 1),
                0xca => lua_pushnumber(l, f64::from(f32::from_be_bytes(self.number()?))),
                0xcb => lua_pushnumber(l, f64::from_be_bytes(self.number()?)),
                0xcc => lua_pushinteger(l, lua_Integer::from(self.byte()?)),
                0xcd => lua_pushinteger(l, lua_Integer::from(u16::from_be_bytes(self.number()?))),
                0xce => lua_pushinteger(l, lua_Integer::from(u32::from_be_bytes(self.number()?))),
                0xcf => {
                    let integer = u64::from_be_bytes(self.number()?);
                    match i64::try_from(integer) {
                        Ok(integer) => lua_pushinteger(l, integer),
                        Err(_) => lua_pushnumber(l, integer as f64),
                    }
                }
                0xd0 => lua_pushinteger(l, lua_Integer::from(self.byte()? as i8)),
                0xd1 => lua_pushinteger(l, lua_Integer::from(i16::from_be_bytes(self.number()?))),
                0xd2 => lua_pushinteger(l, lua_Integer::from(i32::from_be_bytes(self.number()?))),
                0xd3 => lua_pushinteger(l, i64::from_be_bytes(self.number()?)),
                0xa0..=0xbf => self.push_bytes(l, usize::from(marker & 0x1f))?,
                0xd9..=0xdb => {
                    let length = self.length(marker, 0xd9)?;
                    self.push_bytes(l, length)?;
                }
                0xc4..=0xc6 => {
                    let length = self.length(marker, 0xc4)?;
                    self.push_bytes(l, length)?;
                }
                0x90..=0x9f => self.push_array(l, usize::from(marker & 0x0f), depth)?,
                0xdc => {
                    let length = usize::from(u16::from_be_bytes(self.number()?));
                    self.push_array(l, length, depth)?;
                }
                0xdd => {
                    let length = u32::from_be_bytes(self.number()?) as usize;
                    self.push_array(l, length, depth)?;
                }
                0x80..=0x8f => self.push_map(l, usize::from(marker & 0x0f), depth)?,
                0xde => {
                    let length = usize::from(u16::from_be_bytes(self.number()?));
                    self.push_map(l, length, depth)?;
                }
                0xdf => {
                    let length = u32::from_be_bytes(self.number()?) as usize;
                    self.push_map(l, length, depth)?;
                }
                other => return Err(format!("unexpected MessagePack marker {other:#04x}")),
            }
        }
        Ok(())
    }

    /// Pushes the next `length` bytes as a string.
    ///
    /// # Safety
    /// As [`push_value`], with room for one value.
    unsafe fn push_bytes(&mut self, l: *mut lua_State, length: usize) -> Result<(), String> {
        let bytes = self.take(length)?;
        // SAFETY: the caller's contract; `bytes` is `length` readable bytes.
        unsafe { lua_pushlstring(l, bytes.as_ptr().cast(), bytes.len()) };
        Ok(())
    }

    /// A table presized for `length` (no more than the bytes left could
    /// hold: every element takes at least one byte).
    fn presize(&self, length: usize) -> c_int {
        let left = self.bytes.len() - self.at;
        c_int::try_from(length.min(left)).unwrap_or(0)
    }

    /// Pushes a table of the next `length` values.
    ///
    /// # Safety
    /// As [`push_value`], with room for two values.
    unsafe fn push_array(
        &mut self,
        l: *mut lua_State,
        length: usize,
        depth: usize,
    ) -> Result<(), String> {
        // SAFETY: the caller's contract; each element makes its own room and
        // is stored into the table just below it.
        unsafe {
            lua_createtable(l, self.presize(length), 0);
            for position in 1..=length {
                self.push(l, depth + 1)?;
                lua_rawseti(l, -2, position as lua_Integer);
            }
        }
        Ok(())
    }

    /// Pushes a table of the next `length` key-value pairs.
    ///
    /// # Safety
    /// As [`push_value`], with room for three values.
    unsafe fn push_map(
        &mut self,
        l: *mut lua_State,
        length: usize,
        depth: usize,
    ) -> Result<(), String> {
        // SAFETY: the caller's contract; each key and value makes its own
        // room, and the key is never nil or NaN (`push_key`), so
        // `lua_rawset` raises only for memory.
        unsafe {
            lua_createtable(l, 0, self.presize(length));
            for _ in 0..length {
                self.push_key(l)?;
                self.push(l, depth + 1)?;
                lua_rawset(l, -3);
            }
        }
        Ok(())
    }

    /// A map key: a string or an integer; any other key is refused (a nil or
    /// NaN key would make `lua_rawset` raise).
    ///
    /// # Safety
    /// As [`push_value`].
    unsafe fn push_key(&mut self, l: *mut lua_State) -> Result<(), String> {
        let marker = self.bytes.get(self.at).copied().unwrap_or(0xc1);
        match marker {
            // SAFETY: the caller's contract.
            0x00..=0x7f | 0xe0..=0xff | 0xa0..=0xbf | 0xcc..=0xd3 | 0xd9..=0xdb => unsafe {
                self.push(l, 0)
            },
            _ => Err("a map key must be a string or an integer".into()),
        }
    }
}
