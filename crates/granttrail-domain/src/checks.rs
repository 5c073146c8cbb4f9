//! The checks a command's body passes: each failure is collected with its
//! JSON Pointer, so one refusal lists every problem at once.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::date::BusinessDate;
use crate::decide::{MAX_ITEMS, MAX_KEY};
use crate::rejection::{FieldError, Rejection};

/// Where a checked value is in the body: spelled out as a JSON Pointer
/// only when a check fails, so a valid body costs no pointer strings.
pub(crate) trait Pointer {
    fn spell(&self) -> String;
}

impl Pointer for str {
    fn spell(&self) -> String {
        self.to_owned()
    }
}

/// An item of a list in the body (`/indicators/3`), or a member of one
/// (`/indicators/3/key`).
#[derive(Clone, Copy)]
pub(crate) struct Item<'a> {
    list: &'a str,
    index: usize,
    member: Option<&'static str>,
}

impl<'a> Item<'a> {
    pub(crate) fn new(list: &'a str, index: usize) -> Item<'a> {
        Item {
            list,
            index,
            member: None,
        }
    }

    /// The member `name` of this item.
    pub(crate) fn member(self, name: &'static str) -> Item<'a> {
        Item {
            member: Some(name),
            ..self
        }
    }
}

impl Pointer for Item<'_> {
    fn spell(&self) -> String {
        match self.member {
            Some(name) => format!("{}/{}/{name}", self.list, self.index),
            None => format!("{}/{}", self.list, self.index),
        }
    }
}

/// Collects every problem with a body, so one answer lists them all, and
/// returns the normalised (trimmed) values the event will carry.
#[derive(Default)]
pub(crate) struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    pub(crate) fn fail(
        &mut self,
        pointer: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.errors.push(FieldError {
            pointer: pointer.into(),
            code,
            message: message.into(),
        });
    }

    pub(crate) fn into_result<T>(self, value: T) -> Result<T, Rejection> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(Rejection::Invalid(self.errors))
        }
    }

    /// Required text: trimmed, non-empty, bounded, no control characters
    /// other than line breaks and tabs.
    pub(crate) fn text(
        &mut self,
        pointer: &(impl Pointer + ?Sized),
        value: &str,
        max: usize,
    ) -> String {
        let trimmed = value.trim();
        let length = trimmed.chars().count();
        if trimmed.is_empty() {
            self.fail(pointer.spell(), "required", "must not be empty");
        } else if length > max {
            self.fail(
                pointer.spell(),
                "too-long",
                format!("is {length} characters long; at most {max} are allowed"),
            );
        } else if trimmed
            .chars()
            .any(|ch| ch.is_control() && !matches!(ch, '\n' | '\r' | '\t'))
        {
            self.fail(
                pointer.spell(),
                "control-character",
                "contains a control character",
            );
        }
        trimmed.to_owned()
    }

    /// Optional text: absent is fine, but present and blank is a mistake.
    pub(crate) fn optional_text(
        &mut self,
        pointer: &(impl Pointer + ?Sized),
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        value.map(|v| self.text(pointer, v, max))
    }

    /// A list of required texts.
    pub(crate) fn texts(&mut self, pointer: &str, values: &[String], max: usize) -> Vec<String> {
        self.at_most_items(pointer, values.len());
        values
            .iter()
            .enumerate()
            .map(|(i, v)| self.text(&Item::new(pointer, i), v, max))
            .collect()
    }

    /// A code or key: short, made of letters, digits, `_`, `-` and `.`.
    pub(crate) fn key(&mut self, pointer: &(impl Pointer + ?Sized), value: &str) -> String {
        let key = self.text(pointer, value, MAX_KEY);
        if !key.is_empty()
            && !key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
        {
            self.fail(
                pointer.spell(),
                "invalid-key",
                format!("'{key}' may only contain letters, digits, '_', '-' and '.'"),
            );
        } else if !key.is_empty() && key.chars().all(|ch| ch == '.') {
            // `.` and `..` name directories wherever a code becomes part
            // of a path (export file names, URLs).
            self.fail(
                pointer.spell(),
                "invalid-key",
                format!("'{key}' is only dots; a code needs a letter or digit"),
            );
        }
        key
    }

    pub(crate) fn at_most_items(&mut self, pointer: &str, count: usize) {
        if count > MAX_ITEMS {
            self.fail(
                pointer.spell(),
                "too-many",
                format!("has {count} items; at most {MAX_ITEMS} are allowed"),
            );
        }
    }

    pub(crate) fn non_negative(
        &mut self,
        pointer: &(impl Pointer + ?Sized),
        what: &str,
        value: i64,
    ) {
        if value < 0 {
            self.fail(
                pointer.spell(),
                "negative",
                format!("the {what} {value} is negative; it must be 0 or more"),
            );
        }
    }

    /// `date` must not be earlier than `bound`; the message is written
    /// only for a date that is.
    pub(crate) fn not_before(
        &mut self,
        pointer: &str,
        date: BusinessDate,
        bound: BusinessDate,
        message: impl FnOnce() -> String,
    ) {
        if date < bound {
            self.fail(pointer.spell(), "date-order", message());
        }
    }

    /// A money amount: a non-negative decimal string with at most two
    /// decimal places, e.g. `"50000.00"`.
    pub(crate) fn amount(
        &mut self,
        pointer: &(impl Pointer + ?Sized),
        value: Option<&str>,
    ) -> Option<String> {
        let value = value?.trim();
        let plain = !value.is_empty()
            && value.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
            && !value.starts_with('.')
            && !value.ends_with('.');
        match Decimal::from_str(value) {
            Ok(amount) if plain && amount.scale() <= 2 && !amount.is_sign_negative() => {}
            _ => self.fail(
                pointer.spell(),
                "invalid-amount",
                format!(
                    "'{value}' is not an amount; write a non-negative decimal with at most two decimal places, e.g. \"50000.00\""
                ),
            ),
        }
        Some(value.to_owned())
    }

    pub(crate) fn currency(
        &mut self,
        pointer: &(impl Pointer + ?Sized),
        value: Option<&str>,
    ) -> Option<String> {
        let value = value?.trim();
        if value.len() != 3 || !value.chars().all(|ch| ch.is_ascii_uppercase()) {
            self.fail(
                pointer.spell(),
                "invalid-currency",
                format!("'{value}' is not an ISO 4217 currency code such as CNY"),
            );
        }
        Some(value.to_owned())
    }
}
