//! MessagePack on the host: how values cross the wasm boundary (see
//! `wit/ecs.wit`). Everything a guest sends is hostile: decoding is bounded
//! in depth ([`MAX_DEPTH`]) and every error is a message, never a panic.
//! JSON is made from MessagePack (and back) only at the edges (results,
//! reports, schema-less components), streaming, without a value tree.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::json_text::JsonText;

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

/// Decodes `T` from `bytes`; the error names the field.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
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

/// `bytes` (one MessagePack value) as JSON text, refused past `max_bytes` of
/// it. Map keys must be strings or integers.
pub(crate) fn to_json(bytes: &[u8], max_bytes: usize) -> Result<JsonText, String> {
    let mut json = Vec::with_capacity(bytes.len().saturating_mul(2).min(max_bytes));
    let mut serializer = serde_json::Serializer::new(&mut json);
    serde_transcode::transcode(&mut decoder(bytes), &mut serializer)
        .map_err(|error| error.to_string())?;
    if json.len() > max_bytes {
        return Err(format!(
            "{} bytes as JSON, more than {max_bytes}",
            json.len()
        ));
    }
    let text = String::from_utf8(json).map_err(|error| error.to_string())?;
    JsonText::parse_text(text).map_err(|error| error.to_string())
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
        assert!(to_json(&bytes, 5).unwrap_err().contains("more than 5"));
    }

    #[test]
    fn hostile_nesting_is_refused_not_overflowing_the_stack() {
        // A million nested one-element arrays.
        let bytes = vec![0x91u8; 1_000_000];
        assert!(to_json(&bytes, usize::MAX).is_err());
        assert!(decode::<serde::de::IgnoredAny>(&bytes).is_err());
    }
}
