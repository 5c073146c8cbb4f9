//! State at a point in a stream's history.

use chrono::{DateTime, Utc};
use granttrail_domain::{BusinessDate, DecodeError, HistoryError, Project, ProjectEvent, evolve};
use granttrail_store::StoredEvent;

/// Which prefix of a stream's history to fold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PointInTime {
    /// Everything stored.
    #[default]
    Latest,
    /// Events up to and including this version.
    Version(u64),
    /// Events recorded at or before this instant: what the system knew
    /// then.
    KnownAt(DateTime<Utc>),
    /// Events whose business date is on or before this date, applied in
    /// stream order: how things stood on that date as far as we now know.
    AsOf(BusinessDate),
}

/// In words, as people read it: `the latest version`, `version 3`,
/// `what was known at 2023-02-14T09:00:00Z`, `as of 2022-10-01`.
impl std::fmt::Display for PointInTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PointInTime::Latest => f.write_str("the latest version"),
            PointInTime::Version(v) => write!(f, "version {v}"),
            PointInTime::KnownAt(instant) => write!(
                f,
                "what was known at {}",
                instant.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ),
            PointInTime::AsOf(date) => write!(f, "as of {date}"),
        }
    }
}

/// Stored events that cannot be turned into a project.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    /// An event's data does not decode.
    #[error("version {version}: {source}")]
    Decode {
        /// The event's version.
        version: u64,
        /// Why.
        source: DecodeError,
    },
    /// The events are in an order the lifecycle forbids.
    #[error(transparent)]
    History(#[from] HistoryError),
}

/// Decodes one stored event into its domain event (upcasting old schema
/// versions), naming the version that failed.
pub fn decode(stored: &StoredEvent) -> Result<ProjectEvent, ProjectionError> {
    ProjectEvent::decode_parts(&stored.event_type, stored.schema_version, &stored.data).map_err(
        |source| ProjectionError::Decode {
            version: stored.version,
            source,
        },
    )
}

/// Decodes stored events into domain events.
pub fn decode_events(events: &[StoredEvent]) -> Result<Vec<ProjectEvent>, ProjectionError> {
    events.iter().map(decode).collect()
}

/// Folds the events of one stream (in version order) that fall at or
/// before `point`; `None` when none do.
///
/// For `AsOf`, an event dated after the date is skipped but later events
/// dated on or before it still apply, in stream order: a late-recorded
/// fact about an earlier day belongs to that day.
pub fn state_at(
    events: &[StoredEvent],
    point: PointInTime,
) -> Result<Option<Project>, ProjectionError> {
    let mut state: Option<Project> = None;
    for stored in events {
        let included = match point {
            PointInTime::Latest => true,
            PointInTime::Version(v) => stored.version <= v,
            PointInTime::KnownAt(instant) => stored.recorded_at <= instant,
            PointInTime::AsOf(date) => stored.occurred_on <= date,
        };
        if !included {
            continue;
        }
        let event = decode(stored)?;
        let mut project = evolve(state, &event)?;
        // Under `AsOf` some events are skipped; the version shown is the
        // stream version of the last event applied, not a count.
        project.version = stored.version;
        state = Some(project);
    }
    Ok(state)
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn a_point_in_time_reads_as_words() {
        let instant = DateTime::parse_from_rfc3339("2023-02-14T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let date = BusinessDate::parse("2022-10-01").unwrap();
        assert_eq!(PointInTime::Latest.to_string(), "the latest version");
        assert_eq!(PointInTime::Version(3).to_string(), "version 3");
        assert_eq!(
            PointInTime::KnownAt(instant).to_string(),
            "what was known at 2023-02-14T09:00:00Z"
        );
        assert_eq!(PointInTime::AsOf(date).to_string(), "as of 2022-10-01");
    }
}
