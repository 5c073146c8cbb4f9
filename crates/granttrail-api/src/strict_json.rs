//! Reading a request body as I-JSON (RFC 7493): the JSON the hash chain
//! and every verifier can agree on.
//!
//! `serde_json` alone lets the last of two equal keys win, so a body can
//! say two things and be read as one of them; and it keeps integers up to
//! 2^64, which RFC 8785 canonicalisation (and the Python verifier) read as
//! doubles, rounding them. This reader builds the same `Value` while
//! refusing both, naming the offending member by its JSON Pointer.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The largest integer a double holds exactly: 2^53 − 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a syntactically valid body is still refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// An object names the same member twice.
    DuplicateKey {
        /// The member's pointer.
        pointer: String,
    },
    /// An integer beyond ±(2^53 − 1).
    UnsafeInteger {
        /// The number's pointer.
        pointer: String,
    },
}

/// What went wrong reading a body.
#[derive(Debug)]
pub enum Refused {
    /// Not JSON at all (serde_json's message).
    Syntax(String),
    /// JSON, but not I-JSON.
    Fault(Fault),
}

/// Parses `bytes` as one JSON document with unique member names and safe
/// integers.
pub fn parse(bytes: &[u8]) -> Result<Value, Refused> {
    read::<Value>(bytes)
}

/// Checks `bytes` as [`parse`] does, building nothing: a command's body is
/// then read straight into its type, without a tree in between.
pub fn check(bytes: &[u8]) -> Result<(), Refused> {
    read::<()>(bytes)
}

fn read<T: Sink>(bytes: &[u8]) -> Result<T, Refused> {
    let fault = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let node = Node {
        parent: None,
        step: Step::Root,
        fault: &fault,
        sink: PhantomData,
    };
    let parsed = node
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match (parsed, fault.into_inner()) {
        (_, Some(fault)) => Err(Refused::Fault(fault)),
        (Ok(value), None) => Ok(value),
        (Err(e), None) => Err(Refused::Syntax(e.to_string())),
    }
}

/// What reading makes of a document: its tree, or nothing at all (a
/// check; `()` items cost no memory, only the member names are kept, to
/// find one named twice).
trait Sink: Sized {
    type Members: Default;
    fn null() -> Self;
    fn bool(v: bool) -> Self;
    fn number(n: Number) -> Self;
    fn string(v: String) -> Self;
    fn str(v: &str) -> Self;
    fn array(items: Vec<Self>) -> Self;
    fn has(object: &Self::Members, key: &str) -> bool;
    fn insert(object: &mut Self::Members, key: String, value: Self);
    fn object(object: Self::Members) -> Self;
}

impl Sink for Value {
    type Members = Map<String, Value>;
    fn null() -> Value {
        Value::Null
    }
    fn bool(v: bool) -> Value {
        Value::Bool(v)
    }
    fn number(n: Number) -> Value {
        Value::Number(n)
    }
    fn string(v: String) -> Value {
        Value::String(v)
    }
    fn str(v: &str) -> Value {
        Value::String(v.to_owned())
    }
    fn array(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
    fn has(object: &Self::Members, key: &str) -> bool {
        object.contains_key(key)
    }
    fn insert(object: &mut Self::Members, key: String, value: Value) {
        object.insert(key, value);
    }
    fn object(object: Self::Members) -> Value {
        Value::Object(object)
    }
}

impl Sink for () {
    type Members = Vec<String>;
    fn null() {}
    fn bool(_: bool) {}
    fn number(_: Number) {}
    fn string(_: String) {}
    fn str(_: &str) {}
    fn array(_: Vec<()>) {}
    fn has(object: &Self::Members, key: &str) -> bool {
        object.iter().any(|k| k == key)
    }
    fn insert(object: &mut Self::Members, key: String, (): ()) {
        object.push(key);
    }
    fn object(_: Self::Members) {}
}

/// How a value is reached from its parent.
#[derive(Clone, Copy)]
enum Step<'a> {
    Root,
    Member(&'a str),
    Item(usize),
}

/// One value being read, with where it is; the first fault is recorded
/// in `fault` (serde's error type cannot carry it) and aborts the parse.
/// Where it is stays a chain of steps, spelled out as a JSON Pointer only
/// when a fault names it: a valid body costs no pointer strings.
struct Node<'a, T> {
    parent: Option<&'a Node<'a, T>>,
    step: Step<'a>,
    fault: &'a RefCell<Option<Fault>>,
    sink: PhantomData<T>,
}

impl<T> Node<'_, T> {
    /// This value's JSON Pointer (RFC 6901).
    fn pointer(&self) -> String {
        let mut pointer = self.parent.map(Node::pointer).unwrap_or_default();
        match self.step {
            Step::Root => {}
            Step::Member(name) => {
                pointer.push('/');
                pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
            }
            Step::Item(index) => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
        }
        pointer
    }
}

impl<T: Sink> Node<'_, T> {
    fn refuse<E: de::Error>(&self, fault: Fault) -> E {
        self.fault.borrow_mut().get_or_insert(fault);
        E::custom("refused")
    }

    fn child<'b>(&'b self, step: Step<'b>) -> Node<'b, T> {
        Node {
            parent: Some(self),
            step,
            fault: self.fault,
            sink: PhantomData,
        }
    }

    fn integer<E: de::Error>(&self, magnitude: u64, value: Number) -> Result<T, E> {
        if magnitude > MAX_SAFE_INTEGER {
            return Err(self.refuse(Fault::UnsafeInteger {
                pointer: self.pointer(),
            }));
        }
        Ok(T::number(value))
    }
}

impl<'de, T: Sink> DeserializeSeed<'de> for Node<'_, T> {
    type Value = T;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: Sink> Visitor<'de> for Node<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::null())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        Ok(T::bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.integer(v.unsigned_abs(), Number::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.integer(v, Number::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // serde_json reads integers past u64 as doubles: still integers.
        if v.fract() == 0.0 && v.abs() > MAX_SAFE_INTEGER as f64 {
            return Err(self.refuse(Fault::UnsafeInteger {
                pointer: self.pointer(),
            }));
        }
        Number::from_f64(v)
            .map(T::number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::str(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::string(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child(Step::Item(items.len())))? {
            items.push(item);
        }
        Ok(T::array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut members = T::Members::default();
        while let Some(key) = map.next_key::<String>()? {
            if T::has(&members, &key) {
                let pointer = self.child(Step::Member(&key)).pointer();
                return Err(self.refuse(Fault::DuplicateKey { pointer }));
            }
            let value = map.next_value_seed(self.child(Step::Member(&key)))?;
            T::insert(&mut members, key, value);
        }
        Ok(T::object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, expected: Result<&str, Fault>) {
        // Checking without building refuses exactly what parsing refuses.
        let checked = super::check(body.as_bytes());
        match (&checked, &expected) {
            (Ok(()), Ok(_)) => {}
            (Err(Refused::Fault(fault)), Err(expected)) => assert_eq!(fault, expected, "{body}"),
            (checked, expected) => panic!("{body}: checked {checked:?}, expected {expected:?}"),
        }
        let got = parse(body.as_bytes());
        match (got, expected) {
            (Ok(value), Ok(json)) => {
                assert_eq!(
                    value,
                    serde_json::from_str::<Value>(json).unwrap(),
                    "{body}"
                )
            }
            (Err(Refused::Fault(fault)), Err(expected)) => assert_eq!(fault, expected, "{body}"),
            (got, expected) => panic!("{body}: got {got:?}, expected {expected:?}"),
        }
    }

    fn duplicate(pointer: &str) -> Fault {
        Fault::DuplicateKey {
            pointer: pointer.into(),
        }
    }

    fn unsafe_integer(pointer: &str) -> Fault {
        Fault::UnsafeInteger {
            pointer: pointer.into(),
        }
    }

    #[test]
    fn plain_json_reads_as_serde_json_reads_it() {
        check(
            r#"{"a": [1, -2, 2.5, "x", null, true], "b": {"c": {}}}"#,
            Ok(r#"{"a": [1, -2, 2.5, "x", null, true], "b": {"c": {}}}"#),
        );
        check("9007199254740991", Ok("9007199254740991"));
        check("-9007199254740991", Ok("-9007199254740991"));
    }

    #[test]
    fn a_member_named_twice_is_refused_with_its_pointer() {
        check(r#"{"title": "a", "title": "b"}"#, Err(duplicate("/title")));
        check(
            r#"{"indicators": [{"key": 1}, {"key": 1, "key": 2}]}"#,
            Err(duplicate("/indicators/1/key")),
        );
        check(r#"{"a/b~": {"x": 1, "x": 1}}"#, Err(duplicate("/a~1b~0/x")));
    }

    #[test]
    fn integers_beyond_two_to_the_53_are_refused_with_their_pointer() {
        check(
            r#"{"target": 9007199254740992}"#,
            Err(unsafe_integer("/target")),
        );
        check(
            r#"{"t": [0, -9223372036854775808]}"#,
            Err(unsafe_integer("/t/1")),
        );
        check(r#"{"t": 9223372036854775807}"#, Err(unsafe_integer("/t")));
        check(
            r#"{"t": 99999999999999999999999999999}"#,
            Err(unsafe_integer("/t")),
        );
        check(r#"{"t": 1e300}"#, Err(unsafe_integer("/t")));
    }

    #[test]
    fn text_that_is_not_json_is_a_syntax_error() {
        for body in ["{\"a\":", "", "[1,]", "{} {}", "nul"] {
            assert!(
                matches!(parse(body.as_bytes()), Err(Refused::Syntax(_))),
                "{body}"
            );
            assert!(
                matches!(super::check(body.as_bytes()), Err(Refused::Syntax(_))),
                "{body}"
            );
        }
    }
}
