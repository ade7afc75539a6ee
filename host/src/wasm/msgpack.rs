//! MessagePack on the host: how values cross the wasm boundary (see
//! `wit/ecs.wit`). Everything a guest sends is hostile: decoding is bounded
//! in depth ([`MAX_DEPTH`]) and every error is a message, never a panic.
//! JSON is made from MessagePack (and back) only at the edges (results,
//! reports, schema-less components), streaming, without a value tree.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::sandbox::json_text::JsonText;

/// The deepest a value from a guest may nest (maps and arrays). The guest's
/// own encoder stops at 32.
pub(crate) const MAX_DEPTH: usize = 64;

type Decoder<'a> = rmp_serde::Deserializer<rmp_serde::decode::ReadRefReader<'a, [u8]>>;

/// A decoder for `bytes`, bounded in depth.
fn decoder(bytes: &[u8]) -> Decoder<'_> {
    let mut decoder = rmp_serde::Deserializer::from_read_ref(bytes);
    decoder.set_max_depth(MAX_DEPTH);
    decoder
}

/// Appends `value` as MessagePack (structs as maps with their field names,
/// which is what a script sees).
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
    let mut serializer = rmp_serde::Serializer::new(out).with_struct_map();
    value
        .serialize(&mut serializer)
        .map_err(|error| error.to_string())
}

/// What [`walk`] reports of a value as it passes.
enum Visit {
    /// A non-negative integer.
    Integer(u64),
    /// An empty map (how the guest writes an empty Lua table), its marker
    /// at this offset.
    EmptyMap(usize),
}

/// Walks the value at the start of `bytes` without recursing: checks that
/// it nests arrays and maps at most `max_depth` deep, and calls `visit` with
/// each non-negative integer and each empty map in it. Returns where the
/// value ends.
///
/// rmp-serde counts the depth of arrays and maps it reads as such, but not
/// of an enum's variant (a map of one entry) or a newtype, so a recursive
/// enum fed a deep value would recurse until the host's stack overflows:
/// values are measured with this first.
fn walk(bytes: &[u8], max_depth: usize, mut visit: impl FnMut(Visit)) -> Result<usize, WalkError> {
    let ends_early = || WalkError::Malformed("the value ends early".to_string());
    let at = std::cell::Cell::new(0usize);
    let take = |count: u64| -> Result<u64, WalkError> {
        let count = usize::try_from(count).map_err(|_| ends_early())?;
        let end = at
            .get()
            .checked_add(count)
            .filter(|end| *end <= bytes.len());
        let end = end.ok_or_else(ends_early)?;
        let number = bytes[at.get()..end]
            .iter()
            .fold(0u64, |n, byte| n.wrapping_shl(8) | u64::from(*byte));
        at.set(end);
        Ok(number)
    };
    // The items still to read in each open array or map, outermost first
    // (a map's entries count twice); one item at the top level.
    let mut open: Vec<u64> = vec![1];
    while let Some(left) = open.last_mut() {
        if *left == 0 {
            open.pop();
            continue;
        }
        *left -= 1;
        let marker_at = at.get();
        let marker = take(1)? as u8;
        let (skip, items) = match marker {
            0x00..=0x7f => {
                visit(Visit::Integer(u64::from(marker)));
                (0, 0)
            }
            0xcc..=0xcf => {
                visit(Visit::Integer(take(1 << (marker - 0xcc))?));
                (0, 0)
            }
            0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
            0x80..=0x8f => (0, 2 * u64::from(marker & 0x0f)),
            0x90..=0x9f => (0, u64::from(marker & 0x0f)),
            0xa0..=0xbf => (u64::from(marker & 0x1f), 0),
            0xc4 | 0xd9 => (take(1)?, 0),
            0xc5 | 0xda => (take(2)?, 0),
            0xc6 | 0xdb => (take(4)?, 0),
            0xc7 => (take(1)? + 1, 0),
            0xc8 => (take(2)? + 1, 0),
            0xc9 => (take(4)? + 1, 0),
            0xd0 => (1, 0),
            0xd1 => (2, 0),
            0xca | 0xd2 => (4, 0),
            0xcb | 0xd3 => (8, 0),
            0xd4 => (2, 0),
            0xd5 => (3, 0),
            0xd6 => (5, 0),
            0xd7 => (9, 0),
            0xd8 => (17, 0),
            0xdc => (0, take(2)?),
            0xdd => (0, take(4)?),
            0xde => (0, 2 * take(2)?),
            0xdf => (0, 2 * take(4)?),
            _ => {
                return Err(WalkError::Malformed(format!(
                    "unexpected MessagePack marker {marker:#04x}"
                )));
            }
        };
        take(skip)?;
        if items == 0 && matches!(marker, 0x80 | 0xde | 0xdf) {
            visit(Visit::EmptyMap(marker_at));
        }
        if items > 0 {
            if open.len() > max_depth {
                return Err(WalkError::TooDeep(max_depth));
            }
            open.push(items);
        }
    }
    Ok(at.get())
}

/// Why [`walk`] stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WalkError {
    /// The value nests deeper than this.
    TooDeep(usize),
    /// The bytes are not a MessagePack value.
    Malformed(String),
}

impl std::fmt::Display for WalkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WalkError::TooDeep(max_depth) => write!(f, "the value nests deeper than {max_depth}"),
            WalkError::Malformed(message) => f.write_str(message),
        }
    }
}

/// Whether the value at the start of `bytes` holds a non-negative integer
/// for which `wanted` holds (false for a malformed value).
pub(crate) fn any_integer(bytes: &[u8], mut wanted: impl FnMut(u64) -> bool) -> bool {
    let mut found = false;
    let walked = walk(bytes, MAX_DEPTH, |visit| {
        if let Visit::Integer(integer) = visit {
            found |= !found && wanted(integer);
        }
    });
    walked.is_ok() && found
}

/// Decodes `T` from `bytes`; the error names the field.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    // Too deep is refused; a malformed value is left to serde, whose error
    // names the field (it reads no deeper than the walk did).
    if let Err(error @ WalkError::TooDeep(_)) = walk(bytes, MAX_DEPTH, |_| ()) {
        return Err(error.to_string());
    }
    // The common case, a value that fits, without tracking the path; a
    // value that does not fit is decoded again to say where.
    if let Ok(value) = T::deserialize(&mut decoder(bytes)) {
        return Ok(value);
    }
    let mut decoder = decoder(bytes);
    let value = serde_path_to_error::deserialize(&mut decoder).map_err(|error| {
        let path = error.path().to_string();
        if path == "." {
            error.into_inner().to_string()
        } else {
            format!("field `{path}`: {}", error.into_inner())
        }
    })?;
    Ok(value)
}

/// Why a script's value did not decode into a Rust type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// The bytes are not one well-formed value (only a corrupted guest sends
    /// these).
    Malformed(String),
    /// A well-formed value that does not fit the type: what came (in Lua's
    /// words) and serde's reason, naming the field.
    Mismatch {
        /// What the value is, e.g. `a string` or `a table of 3 entries`.
        came: String,
        /// Why it does not fit.
        reason: String,
    },
}

/// Decodes `T` from `bytes`, one well-formed value from a guest (checked
/// first, bounded in depth), telling a malformed value from one that does
/// not fit.
///
/// An empty Lua table is an empty map on the wire: when the value does not
/// fit as sent and holds empty maps, it is tried once more with every empty
/// map read as an empty array, so `{}` fills a `Vec` as well as a map or a
/// struct (a value that needs both at once does not decode).
pub(crate) fn decode_checked<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut has_empty_maps = false;
    let walked = walk(bytes, MAX_DEPTH, |visit| {
        has_empty_maps |= matches!(visit, Visit::EmptyMap(_));
    });
    match walked {
        Err(error) => return Err(DecodeError::Malformed(error.to_string())),
        Ok(end) if end != bytes.len() => {
            return Err(DecodeError::Malformed(format!(
                "{} bytes after the value",
                bytes.len() - end
            )));
        }
        Ok(_) => {}
    }
    let mut reason = match decode(bytes) {
        Ok(value) => return Ok(value),
        Err(reason) => reason,
    };
    if has_empty_maps {
        // One copy (the value is already bounded by the caller), each empty
        // map's marker made the array marker of its width (fixmap, map16,
        // map32), its zero length unchanged.
        let mut arrays = bytes.to_vec();
        let _ = walk(bytes, MAX_DEPTH, |visit| {
            if let Visit::EmptyMap(at) = visit
                && let Some(marker) = arrays.get_mut(at)
            {
                *marker = match *marker {
                    0x80 => 0x90,
                    0xde => 0xdc,
                    _ => 0xdd,
                };
            }
        });
        match decode(&arrays) {
            Ok(value) => return Ok(value),
            // Both readings are said: either may be the one meant.
            Err(other) if other != reason => {
                reason = format!("{reason}; with each empty table as an empty sequence: {other}");
            }
            Err(_) => {}
        }
    }
    Err(DecodeError::Mismatch {
        came: describe(bytes),
        reason,
    })
}

/// What the value at the start of `bytes` is, in Lua's words.
pub(crate) fn describe(bytes: &[u8]) -> String {
    let count = |width: usize| {
        bytes
            .get(1..1 + width)
            .map(|count| {
                count
                    .iter()
                    .fold(0u64, |n, byte| (n << 8) | u64::from(*byte))
            })
            .unwrap_or(0)
    };
    let table = |entries: u64, array: bool| {
        let what = if array { "items" } else { "keys" };
        match entries {
            0 => "an empty table".to_string(),
            1 => format!("a table of 1 {}", &what[..what.len() - 1]),
            n => format!("a table of {n} {what}"),
        }
    };
    match bytes.first().copied() {
        None => "nothing".into(),
        Some(0xc0) => "nil".into(),
        Some(0xc2 | 0xc3) => "a boolean".into(),
        Some(0x00..=0x7f | 0xcc..=0xcf | 0xd0..=0xd3 | 0xe0..=0xff) => "an integer".into(),
        Some(0xca | 0xcb) => "a number (float)".into(),
        Some(0xa0..=0xbf | 0xd9..=0xdb | 0xc4..=0xc6) => "a string".into(),
        Some(marker @ 0x90..=0x9f) => table(u64::from(marker & 0x0f), true),
        Some(0xdc) => table(count(2), true),
        Some(0xdd) => table(count(4), true),
        Some(marker @ 0x80..=0x8f) => table(u64::from(marker & 0x0f), false),
        Some(0xde) => table(count(2), false),
        Some(0xdf) => table(count(4), false),
        Some(_) => "an extension value".into(),
    }
}

/// Whether `bytes` (one encoded value) is an array: an argument list as it
/// stands.
pub(crate) fn is_array(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(0x90..=0x9f | 0xdc | 0xdd))
}

/// Why MessagePack did not become JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToJsonError {
    /// The JSON would pass the cap it was made under (it stopped there).
    TooLarge {
        /// The cap, in bytes.
        max_bytes: usize,
    },
    /// The bytes are not one well-formed value with string or integer keys.
    Malformed(String),
}

impl std::fmt::Display for ToJsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ToJsonError::TooLarge { max_bytes } => {
                write!(f, "more than {max_bytes} bytes as JSON")
            }
            ToJsonError::Malformed(message) => f.write_str(message),
        }
    }
}

/// A buffer that refuses to grow past its cap: JSON made from a hostile
/// value stops at the cap instead of being built whole and then measured.
struct CappedBuffer {
    bytes: Vec<u8>,
    max_bytes: usize,
    passed: bool,
}

impl std::io::Write for CappedBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(data.len()) > self.max_bytes {
            self.passed = true;
            return Err(std::io::Error::other("past the cap"));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `bytes` (one MessagePack value) as JSON text, refused once it passes
/// `max_bytes` (never built past that). Map keys must be strings or
/// integers.
pub(crate) fn to_json(bytes: &[u8], max_bytes: usize) -> Result<JsonText, ToJsonError> {
    let mut out = CappedBuffer {
        bytes: Vec::with_capacity(bytes.len().saturating_mul(2).min(max_bytes)),
        max_bytes,
        passed: false,
    };
    let mut serializer = serde_json::Serializer::new(&mut out);
    let transcoded = serde_transcode::transcode(&mut decoder(bytes), &mut serializer);
    if out.passed {
        return Err(ToJsonError::TooLarge { max_bytes });
    }
    transcoded.map_err(|error| ToJsonError::Malformed(error.to_string()))?;
    let text =
        String::from_utf8(out.bytes).map_err(|error| ToJsonError::Malformed(error.to_string()))?;
    JsonText::parse_text(text).map_err(|error| ToJsonError::Malformed(error.to_string()))
}

/// Checks that `bytes` would become JSON text (as [`to_json`] makes it),
/// building none.
pub(crate) fn check_json(bytes: &[u8]) -> Result<(), String> {
    let mut serializer = serde_json::Serializer::new(std::io::sink());
    serde_transcode::transcode(&mut decoder(bytes), &mut serializer)
        .map_err(|error| error.to_string())
}

/// Appends the JSON text as MessagePack.
pub(crate) fn from_json(json: &JsonText, out: &mut Vec<u8>) -> Result<(), String> {
    let mut parser = serde_json::Deserializer::from_str(json.as_str());
    let mut serializer = rmp_serde::Serializer::new(out);
    serde_transcode::transcode(&mut parser, &mut serializer).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_cross_as_maps_and_come_back_as_json() {
        #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Position {
            x: f64,
            y: i32,
        }
        let mut bytes = Vec::new();
        encode(&Position { x: 1.5, y: 2 }, &mut bytes).unwrap();
        assert_eq!(to_json(&bytes, 100).unwrap().as_str(), r#"{"x":1.5,"y":2}"#);
        assert_eq!(
            decode::<Position>(&bytes).unwrap(),
            Position { x: 1.5, y: 2 }
        );
        let error = decode::<Position>(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(
            error.contains("field `y`") || error.contains("EOF"),
            "{error}"
        );
        assert_eq!(
            to_json(&bytes, 5).unwrap_err(),
            ToJsonError::TooLarge { max_bytes: 5 }
        );
    }

    #[test]
    fn a_deep_value_for_a_recursive_enum_is_refused_not_overflowing_the_stack() {
        // rmp-serde reads an enum's variant without counting depth: 100,000
        // nested `{"Node": ...}` would recurse until the stack overflows.
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        enum Tree {
            Leaf,
            Node(Box<Tree>),
        }
        let mut bytes = Vec::new();
        for _ in 0..100_000 {
            bytes.extend_from_slice(&[0x81, 0xa4]);
            bytes.extend_from_slice(b"Node");
        }
        bytes.extend_from_slice(&[0xa4]);
        bytes.extend_from_slice(b"Leaf");
        let error = decode::<Tree>(&bytes).unwrap_err();
        assert!(error.contains("nests deeper than 64"), "{error}");
        // Within the bound it decodes.
        let shallow = [&[0x81, 0xa4][..], b"Node", &[0xa4], b"Leaf"].concat();
        assert!(matches!(decode::<Tree>(&shallow), Ok(Tree::Node(_))));
    }

    #[test]
    fn the_walk_reads_every_marker_finds_the_integers_and_refuses_truncated_values() {
        let mut value = Vec::new();
        encode(
            &serde_json::json!({"a": [1, -1, 300, -300, 70000, 1.5, "text", null, true,
                                 {"b": [[[]]]}, 18446744073709551615u64, -9007199254740993i64]}),
            &mut value,
        )
        .unwrap();
        let mut integers = Vec::new();
        let end = walk(&value, 64, |visit| {
            if let Visit::Integer(integer) = visit {
                integers.push(integer);
            }
        })
        .unwrap();
        assert_eq!(end, value.len());
        assert_eq!(integers, [1, 300, 70000, u64::MAX]);
        assert_eq!(walk(&value, 3, |_| {}), Err(WalkError::TooDeep(3)));
        for cut in 0..value.len() {
            assert!(walk(&value[..cut], 64, |_| {}).is_err(), "cut at {cut}");
        }
        assert!(any_integer(&value, |integer| integer == 70000));
        assert!(!any_integer(&value, |integer| integer == 2));
    }

    #[test]
    fn an_empty_table_decodes_as_an_empty_sequence_or_map_and_a_mismatch_says_what_came() {
        // What the guest sends for `{tags = {}, name = "a"}`: maps of
        // 32-bit length, an empty one for the empty table.
        let value = [
            &[0xdf, 0, 0, 0, 2, 0xa4][..],
            b"tags",
            &[0xdf, 0, 0, 0, 0, 0xa4],
            b"name",
            &[0xa1],
            b"a",
        ]
        .concat();
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Tagged {
            tags: Vec<String>,
            name: String,
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Mapped {
            tags: std::collections::BTreeMap<String, u8>,
        }
        assert_eq!(
            decode_checked::<Tagged>(&value),
            Ok(Tagged {
                tags: vec![],
                name: "a".into()
            })
        );
        assert_eq!(
            decode_checked::<Mapped>(&value).map(|mapped| mapped.tags.len()),
            Ok(0)
        );
        match decode_checked::<Vec<u8>>(&value) {
            Err(DecodeError::Mismatch { came, .. }) => assert_eq!(came, "a table of 2 keys"),
            other => panic!("{other:?}"),
        }
        // Trailing bytes, or a cut value, are malformed, not a mismatch.
        let mut longer = value.clone();
        longer.push(0xc0);
        assert!(matches!(
            decode_checked::<Tagged>(&longer),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            decode_checked::<Tagged>(&value[..value.len() - 1]),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn hostile_nesting_is_refused_not_overflowing_the_stack() {
        // A million nested one-element arrays.
        let bytes = vec![0x91u8; 1_000_000];
        assert!(to_json(&bytes, usize::MAX).is_err());
        assert!(decode::<serde::de::IgnoredAny>(&bytes).is_err());
    }
}
