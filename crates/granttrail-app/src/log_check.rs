//! Checking the global log as a whole, beyond each stream's hash chain:
//! what a forged `INSERT` that extends a chain still gets wrong.

use std::collections::HashSet;

use granttrail_domain::ProjectEvent;
use granttrail_store::{StoreError, format_instant};

use crate::{App, AppError};

/// How many events one read of the log takes.
const PAGE: u32 = 1000;
/// Findings past this many are counted, not listed.
const MAX_LISTED: usize = 100;

/// What the whole-log check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogReport {
    /// Events read.
    pub events: u64,
    /// One line per finding, in log order (at most [`MAX_LISTED`]).
    pub problems: Vec<String>,
    /// Findings in all, listed or not.
    pub findings: usize,
}

impl LogReport {
    fn find(&mut self, problem: String) {
        self.findings += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(problem);
        }
    }
}

impl App {
    /// Reads the whole global log in position order and checks what no
    /// single stream's chain can: positions leave no gap (where the store
    /// assigns them densely), `recorded_at` never decreases, every actor
    /// is a known user (or the operator's CLI), and every event decodes.
    pub async fn verify_log(&self) -> Result<LogReport, AppError> {
        // Actors are users; events recorded before users existed name the
        // token, whose migrated user has the same id.
        let mut actors: HashSet<String> = self
            .tokens
            .list_tokens()
            .await?
            .into_iter()
            .map(|t| t.id.to_string())
            .collect();
        actors.extend(self.tokens.list_users().await?.into_iter().map(|u| u.id));
        let dense = self.store.positions_are_dense();
        let mut report = LogReport::default();
        let mut after = 0i64;
        let mut previous: Option<(i64, chrono::DateTime<chrono::Utc>)> = None;
        loop {
            let page = match self.store.read_all(after, PAGE).await {
                Ok(page) => page,
                Err(StoreError::CorruptStream {
                    stream_id,
                    version,
                    reason,
                }) => {
                    report.find(format!(
                        "after position {after}: stream {stream_id} version {version} cannot be read: {reason}"
                    ));
                    return Ok(report);
                }
                Err(other) => return Err(other.into()),
            };
            let Some(last) = page.last() else { break };
            after = last.position;
            for event in &page {
                report.events += 1;
                let at = event.position;
                if let Some((position, recorded_at)) = previous {
                    if dense && at != position + 1 {
                        report.find(format!(
                            "positions {} to {} are missing from the global log",
                            position + 1,
                            at - 1
                        ));
                    }
                    if event.recorded_at < recorded_at {
                        report.find(format!(
                            "position {at} was recorded at {}, before position {position} ({})",
                            format_instant(&event.recorded_at),
                            format_instant(&recorded_at)
                        ));
                    }
                } else if dense && at != 1 {
                    report.find(format!(
                        "positions 1 to {} are missing from the global log",
                        at - 1
                    ));
                }
                if event.actor.id != "operator" && !actors.contains(&event.actor.id) {
                    report.find(format!(
                        "position {at} names actor '{}', which is no user or token of this database",
                        event.actor.id
                    ));
                }
                if let Err(e) =
                    ProjectEvent::decode_parts(&event.event_type, event.schema_version, &event.data)
                {
                    report.find(format!(
                        "position {at} (stream {} version {}) cannot be decoded: {e}",
                        event.stream_id, event.version
                    ));
                }
                previous = Some((at, event.recorded_at));
            }
            if page.len() < PAGE as usize {
                break;
            }
        }
        Ok(report)
    }
}
