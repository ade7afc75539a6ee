//! JSON kept as text where the host only stores or passes a value on.
//!
//! A `serde_json::Value` tree takes up to 25 times the bytes of its text
//! (every `0` in `[0,0,0]` is a 32-byte enum), so a script that makes the
//! host parse its JSON into trees multiplies what it costs the host. Values
//! the host does not look into (schema-less components, a script's result in
//! a report) stay as checked text instead, and are parsed only by whoever
//! reads them.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// One JSON value, kept as its (checked) text.
///
/// ```
/// use luabox::JsonText;
///
/// let text = JsonText::parse_text(r#"{"x": 1}"#.to_string())?;
/// assert_eq!(text.as_str(), r#"{"x": 1}"#);
/// assert_eq!(text.to_value(), serde_json::json!({"x": 1}));
/// assert!(JsonText::parse_text("{".to_string()).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Serialize)]
#[serde(transparent)]
pub struct JsonText(Box<RawValue>);

impl<'de> Deserialize<'de> for JsonText {
    /// Reads one JSON value as text, written compactly (no spacing), so
    /// values from files and requests print like every other.
    fn deserialize<D: serde::Deserializer<'de>>(input: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(input)?;
        let mut compact = Vec::with_capacity(raw.get().len());
        let mut parser = serde_json::Deserializer::from_str(raw.get());
        serde_transcode::transcode(&mut parser, &mut serde_json::Serializer::new(&mut compact))
            .map_err(serde::de::Error::custom)?;
        let text = String::from_utf8(compact).map_err(serde::de::Error::custom)?;
        JsonText::parse_text(text).map_err(serde::de::Error::custom)
    }
}

impl JsonText {
    /// Checks that `text` is one JSON value and keeps it as it is.
    ///
    /// # Errors
    /// The parser's error when `text` is not exactly one JSON value.
    pub fn parse_text(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(JsonText)
    }

    /// The text of `value`.
    pub fn from_value(value: &Value) -> Self {
        // A `Value` always serialises, and its text is always valid JSON.
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
        JsonText::parse_text(text).unwrap_or_else(|_| JsonText::null())
    }

    /// `null`.
    pub fn null() -> Self {
        JsonText(RawValue::NULL.to_owned())
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// Deserialises the value into `T`.
    ///
    /// # Errors
    /// What does not fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.as_str())
    }

    /// The value as a tree (for callers that want one).
    pub fn to_value(&self) -> Value {
        self.deserialize().unwrap_or(Value::Null)
    }
}

impl PartialEq for JsonText {
    /// Equal when the values are equal (whatever the spacing of the text).
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str() || self.to_value() == other.to_value()
    }
}

impl PartialEq<Value> for JsonText {
    fn eq(&self, other: &Value) -> bool {
        self.to_value() == *other
    }
}

impl fmt::Debug for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Default for JsonText {
    fn default() -> Self {
        JsonText::null()
    }
}
