//! Importing a project's paper past (`granttrail import --historical`,
//! `POST /api/v1/imports/historical`): facts with their original dates
//! and the people who recorded them, not live commands. Rules a live
//! command would be refused for become data-quality flags (see the
//! domain's `history.rs`); a dry run reports every flag and writes
//! nothing.
//!
//! The file (`granttrail-history/1`):
//! `{"format": "granttrail-history/1", "projects": [{"ref": "…", "facts":
//! [{"command": "sign", "by": {"id": "…", "name": "…"}, "body": {…}}, …]}]}`,
//! or the same as the rows of a CSV or XLSX sheet (see the
//! `granttrail-history-sheet` crate), read into that document first.

use granttrail_domain::{
    CommandKind, HistoryImported, Person, ProjectEvent, QualityFlag, RecordedFact, fold,
    record_history,
};
use granttrail_store::{AppendOutcome, AppendRequest, ExpectedVersion, NewEvent};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::permissions::{Action, permits};
use crate::{App, AppError, Caller};

/// The format name a history file declares.
pub const HISTORY_FORMAT: &str = "granttrail-history/1";

/// What an import did (or, in a dry run, would do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// True when nothing was written.
    pub dry_run: bool,
    /// The SHA-256 of the file (hex), recorded on every imported project.
    pub file_sha256: String,
    /// Each project of the file.
    pub projects: Vec<ImportedProject>,
}

/// One project of an import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportedProject {
    /// The file's name for it.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Its id, once written (none in a dry run).
    pub id: Option<Uuid>,
    /// How many facts it holds.
    pub facts: usize,
    /// The flags its facts earned.
    pub flags: Vec<QualityFlag>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryFile {
    format: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    projects: Vec<ProjectPast>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectPast {
    #[serde(rename = "ref")]
    reference: String,
    facts: Vec<Fact>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fact {
    command: CommandKind,
    by: Person,
    body: serde_json::Value,
    /// Where the fact came from in its file (a sheet's row), for messages.
    #[serde(default)]
    source: Option<String>,
}

fn refused(message: impl Into<String>) -> AppError {
    AppError::ImportRefused {
        message: message.into(),
    }
}

/// A project's facts and the events they fold into, checked before
/// anything is written.
struct Planned {
    reference: String,
    events: Vec<ProjectEvent>,
    recorded_by: Vec<Person>,
    flags: Vec<QualityFlag>,
    facts: usize,
}

impl App {
    /// Imports the projects of a history file; with `dry_run`, only
    /// reports what it would do. Every project is checked before any is
    /// written; each is then written whole, in one append.
    pub async fn import_history(
        &self,
        caller: &Caller,
        file: &[u8],
        file_name: &str,
        dry_run: bool,
    ) -> Result<ImportReport, AppError> {
        permits(caller, Action::ImportHistory)?;
        let file_sha256 = hex::encode(Sha256::digest(file));
        let parsed: HistoryFile = if granttrail_history_sheet::is_sheet(file) {
            let document = granttrail_history_sheet::history_from_sheet(file)
                .map_err(|e| refused(format!("{file_name}: {e}")))?;
            serde_json::from_value(document)
        } else {
            serde_json::from_slice(file)
        }
        .map_err(|e| refused(format!("{file_name} is not a {HISTORY_FORMAT} file: {e}")))?;
        if parsed.format != HISTORY_FORMAT {
            return Err(refused(format!(
                "{file_name} declares format '{}', not {HISTORY_FORMAT}",
                parsed.format
            )));
        }
        let today = self.today();
        let mut planned = Vec::new();
        for past in parsed.projects {
            let mut facts = Vec::new();
            for (n, fact) in past.facts.into_iter().enumerate() {
                // The field at fault is named by its path, as a sheet's
                // column names it.
                let mut track = serde_path_to_error::Track::new();
                let body = serde_path_to_error::Deserializer::new(&fact.body, &mut track);
                let command = fact.command.read_body(body).map_err(|e| {
                    let source = fact.source.as_deref().map(|s| format!(", {s}"));
                    refused(format!(
                        "{} fact {n} ({}{}): at {}: {e}",
                        past.reference,
                        fact.command,
                        source.unwrap_or_default(),
                        track.path()
                    ))
                })?;
                facts.push(RecordedFact {
                    command,
                    by: fact.by,
                });
            }
            let (events, flags) = record_history(&facts, today)
                .map_err(|e| refused(format!("{}: {e}", past.reference)))?;
            planned.push(Planned {
                reference: past.reference,
                recorded_by: facts.iter().map(|f| f.by.clone()).collect(),
                facts: facts.len(),
                events,
                flags,
            });
        }
        let mut report = ImportReport {
            dry_run,
            file_sha256: file_sha256.clone(),
            projects: Vec::new(),
        };
        for plan in planned {
            let id = if dry_run {
                None
            } else {
                Some(
                    self.write_past(caller, &plan, &file_sha256, file_name)
                        .await?,
                )
            };
            report.projects.push(ImportedProject {
                reference: plan.reference,
                id,
                facts: plan.facts,
                flags: plan.flags,
            });
        }
        Ok(report)
    }

    async fn write_past(
        &self,
        caller: &Caller,
        plan: &Planned,
        file_sha256: &str,
        file_name: &str,
    ) -> Result<Uuid, AppError> {
        let id = Uuid::now_v7();
        let mut events = plan.events.clone();
        events.push(ProjectEvent::HistoryImported(HistoryImported {
            imported_on: self.today(),
            imported_by: caller.person(),
            file_sha256: file_sha256.to_owned(),
            file_name: file_name.to_owned(),
            facts: plan.events.len() as u64,
            recorded_by: plan.recorded_by.clone(),
            flags: plan.flags.clone(),
        }));
        let Some(state) = fold(&events).map_err(|e| AppError::internal(e.to_string()))? else {
            return Err(refused(format!("{} holds no facts", plan.reference)));
        };
        let append = AppendRequest {
            stream_id: id,
            expected: ExpectedVersion::NoStream,
            events: events
                .iter()
                .map(|e| NewEvent {
                    event_id: Uuid::now_v7(),
                    event: e.encode(),
                    occurred_on: e.occurred_on(),
                })
                .collect(),
            actor: caller.actor(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            idempotency: None,
            reserve_code: state.code.clone(),
            project_row: Some(crate::projection::project_row(id, &state)?),
        };
        match self.store.append(append).await? {
            AppendOutcome::Appended(_) => {
                tracing::info!(
                    target: "granttrail::audit",
                    project = %id,
                    reference = plan.reference,
                    file_sha256,
                    flags = plan.flags.len(),
                    imported_by = caller.user_id(),
                    "history imported"
                );
                Ok(id)
            }
            AppendOutcome::AlreadyDone(_) => Err(AppError::internal(
                "the store replayed an import that had no key",
            )),
        }
    }
}
