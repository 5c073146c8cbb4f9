//! Business dates: the calendar dates staff write on paper, distinct from
//! the instant the system recorded an event.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date in `YYYY-MM-DD` form, with no time and no zone.
///
/// It wraps [`NaiveDate`] so that deserialising an impossible date such as
/// `2022-02-30` fails with a message a staff member can act on, instead of
/// chrono's terse "input is out of range".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BusinessDate(NaiveDate);

/// In the OpenAPI document: a string of format `date` (`YYYY-MM-DD`).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for BusinessDate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .examples([serde_json::json!("2022-05-11")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for BusinessDate {}

impl BusinessDate {
    /// Builds a date from its parts; `None` when the day does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, day).map(Self)
    }

    /// Parses the strict `YYYY-MM-DD` form.
    pub fn parse(text: &str) -> Result<Self, String> {
        let well_formed = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !well_formed {
            return Err(format!("'{text}' is not a date in the form YYYY-MM-DD"));
        }
        // There is no year 0 in the calendar people write dates in (ISO
        // 8601 would read 0000 as 1 BC).
        if text.starts_with("0000") {
            return Err(format!("'{text}' is before year 1"));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| format!("'{text}' is not a calendar date (no such day)"))
    }

    /// The day after this one (`None` past the calendar's end).
    pub fn next_day(self) -> Option<Self> {
        self.0.succ_opt().map(Self)
    }

    /// The underlying chrono date, for arithmetic in outer layers.
    pub fn naive(self) -> NaiveDate {
        self.0
    }
}

impl From<NaiveDate> for BusinessDate {
    fn from(date: NaiveDate) -> Self {
        Self(date)
    }
}

/// `YYYY-MM-DD`, written from the parts: dates are written for every
/// event of every fold, and parsing a format string each time cost more
/// than the rest of the writing.
impl fmt::Display for BusinessDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::Datelike;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl Serialize for BusinessDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BusinessDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_days_are_named_in_the_error() {
        let err = BusinessDate::parse("2022-02-30").unwrap_err();
        assert!(err.contains("2022-02-30"), "{err}");
        assert!(BusinessDate::parse("2022-2-3").is_err());
        assert!(BusinessDate::parse("2022-02-03T00:00").is_err());
        assert_eq!(
            BusinessDate::parse("2024-02-29").unwrap().to_string(),
            "2024-02-29"
        );
    }

    #[test]
    fn dates_begin_at_year_one() {
        let err = BusinessDate::parse("0000-01-01").unwrap_err();
        assert!(err.contains("before year 1"), "{err}");
        assert_eq!(
            BusinessDate::parse("0001-01-01").unwrap().to_string(),
            "0001-01-01"
        );
    }
}
