//! Reads a request body's JSON tree into a Rust type, with the reason a
//! field is refused kept as a type ([`BodyError`]) rather than recovered
//! later from serde's message text.
//!
//! serde's `Deserialize` impls report an unknown or missing field through
//! the deserializer's own error type (`de::Error::unknown_field`, …). The
//! deserializer of `serde_json::Value` folds those into one message string;
//! this one keeps them apart. The tree has already been checked by
//! `strict_json` (duplicates, integer range), so only its shape is read.

use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, Deserializer, IntoDeserializer, Unexpected, Visitor};
use serde_json::Value;

/// Why a body does not fit its type, by cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// A member the type does not have.
    UnknownField(String),
    /// A required member that is absent.
    MissingField(&'static str),
    /// A member of the wrong JSON type (serde's words).
    InvalidType(String),
    /// A member of the right type whose value the type refuses (serde's or
    /// the type's own words).
    InvalidValue(String),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::UnknownField(field) => write!(f, "unknown field `{field}`"),
            BodyError::MissingField(field) => write!(f, "missing field `{field}`"),
            BodyError::InvalidType(message) | BodyError::InvalidValue(message) => {
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for BodyError {}

impl de::Error for BodyError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        BodyError::InvalidValue(message.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        BodyError::InvalidType(format!("invalid type: {unexpected}, expected {expected}"))
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        BodyError::UnknownField(field.to_owned())
    }

    fn missing_field(field: &'static str) -> Self {
        BodyError::MissingField(field)
    }
}

/// A deserializer over a borrowed JSON tree whose error is [`BodyError`].
#[derive(Clone, Copy)]
pub(crate) struct ValueReader<'a>(pub &'a Value);

impl<'de> IntoDeserializer<'de, BodyError> for ValueReader<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for ValueReader<'de> {
    type Error = BodyError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (None, Some(i), _) => visitor.visit_i64(i),
                (None, None, Some(f)) => visitor.visit_f64(f),
                (None, None, None) => Err(de::Error::custom(format!("{n} is not a number"))),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(ValueReader));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Object(members) => {
                let mut map =
                    MapDeserializer::new(members.iter().map(|(k, v)| (k.as_str(), ValueReader(v))));
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// Enums in request bodies are strings (`"accepted"`); a string names
    /// a unit variant.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, BodyError> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            other => Err(de::Error::invalid_type(unexpected(other), &"a string")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, BodyError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// How serde names a JSON value in "invalid type" messages.
fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (None, Some(i)) => Unexpected::Signed(i),
            (None, None) => Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Visit {
        visited_on: String,
        findings: Option<Vec<String>>,
        outcome: Outcome,
        score: u8,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Outcome {
        Passed,
        Failed,
    }

    fn read(body: Value) -> Result<Visit, BodyError> {
        Visit::deserialize(ValueReader(&body))
    }

    #[test]
    fn a_body_that_fits_reads_as_serde_json_would() {
        let body = json!({"visited_on": "2023-02-14", "findings": ["ok"], "outcome": "passed", "score": 9});
        assert_eq!(read(body.clone()).ok(), serde_json::from_value(body).ok());
    }

    #[test]
    fn each_cause_is_its_own_kind() {
        let good = json!({"visited_on": "d", "outcome": "passed", "score": 1});
        let with = |key: &str, value: Value| {
            let mut body = good.clone();
            body[key] = value;
            read(body).unwrap_err()
        };
        assert_eq!(
            with("extra", json!(1)),
            BodyError::UnknownField("extra".into())
        );
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().remove("score");
        assert_eq!(read(missing).unwrap_err(), BodyError::MissingField("score"));
        assert!(matches!(
            with("score", json!("9")),
            BodyError::InvalidType(_)
        ));
        assert!(matches!(
            with("findings", json!("x")),
            BodyError::InvalidType(_)
        ));
        assert!(matches!(
            with("score", json!(300)),
            BodyError::InvalidValue(_)
        ));
        assert!(matches!(
            with("outcome", json!("maybe")),
            BodyError::InvalidValue(_)
        ));
        assert!(matches!(
            with("outcome", json!(1)),
            BodyError::InvalidType(_)
        ));
    }

    #[test]
    fn the_messages_keep_serdes_words() {
        let body = json!({"visited_on": 5, "outcome": "passed", "score": 1});
        assert_eq!(
            read(body).unwrap_err().to_string(),
            "invalid type: integer `5`, expected a string"
        );
    }
}
