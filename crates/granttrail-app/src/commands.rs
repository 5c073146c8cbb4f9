//! Running a command: the one path shared by the API and `granttrail import`.

use granttrail_domain::{Command, CommandKind, FourEyes, Project, decide_as, evolve};
use granttrail_projections::{PointInTime, etag_of, state_at, view_json};
use granttrail_store::{
    AppendOutcome, AppendRequest, ExpectedVersion, IdempotencyRecord, NewEvent, StreamBound,
};
use uuid::Uuid;

use crate::permissions::{Action, permits};
use crate::{App, AppError, Caller};

/// The client's idempotency key and a fingerprint of its request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRequest {
    /// `Idempotency-Key`.
    pub key: String,
    /// Hash of method, path and canonical body; a different request under
    /// the same key is refused.
    pub fingerprint: String,
}

/// A command addressed to a project.
#[derive(Clone, Debug)]
pub struct CommandRequest {
    /// The project: a fresh id when signing.
    pub project_id: Uuid,
    /// What to do.
    pub command: Command,
    /// The version the caller last saw (`If-Match`); required unless
    /// signing.
    pub if_match: Option<u64>,
    /// The caller's idempotency key, if any.
    pub idempotency: Option<IdempotencyRequest>,
    /// Groups everything this request causes.
    pub correlation_id: Uuid,
    /// What caused this request, if the caller said.
    pub causation_id: Option<Uuid>,
}

/// The answer to a command, kept verbatim for idempotent replays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandResponse {
    /// The project acted on.
    pub project_id: Uuid,
    /// 201 for a new project, 200 otherwise.
    pub status: u16,
    /// `"N"`: the project's version after the command.
    pub etag: String,
    /// The project's new state as JSON text.
    pub body: String,
    /// True when this answer is a replay of an earlier one.
    pub replayed: bool,
}

impl CommandResponse {
    fn replay(record: IdempotencyRecord) -> CommandResponse {
        CommandResponse {
            project_id: record.stream_id,
            status: record.status,
            etag: record.etag.unwrap_or_default(),
            body: record.body,
            replayed: true,
        }
    }
}

impl App {
    /// Runs one command for `caller`.
    ///
    /// In order: an idempotent retry is answered from its record; the
    /// project must exist and be visible to the caller (404); the role must
    /// allow the command (403); `If-Match` must be present (428) and
    /// current (412); then the domain decides (409/422); the append is
    /// conditional on the version decided against, so a concurrent writer
    /// turns into 412, never a lost update.
    pub async fn execute(
        &self,
        caller: &Caller,
        request: CommandRequest,
    ) -> Result<CommandResponse, AppError> {
        if let Some(replay) = self.replay(caller, request.idempotency.as_ref()).await? {
            return Ok(replay);
        }
        let kind = request.command.kind();
        let creating = kind == CommandKind::Sign;
        let state = if creating {
            None
        } else {
            let stored = self
                .read_checked(caller, request.project_id, StreamBound::default())
                .await?;
            match state_at(&stored, PointInTime::Latest).map_err(AppError::history)? {
                Some(project) => Some(project),
                None => return Err(AppError::NotFound),
            }
        };
        permits(caller, Action::Command(kind))?;
        if let Some(project) = &state {
            match request.if_match {
                None => return Err(AppError::PreconditionRequired),
                Some(v) if v != project.version => {
                    return Err(AppError::VersionMismatch {
                        expected: v,
                        current: project.version,
                    });
                }
                Some(_) => {}
            }
        }
        let four_eyes = if caller.is_operator() {
            FourEyes::Off
        } else {
            self.four_eyes
        };
        let events = decide_as(
            state.as_ref(),
            &request.command,
            self.today(),
            &caller.person(),
            four_eyes,
        )?;
        let mut next: Option<Project> = state.clone();
        for event in &events {
            next = Some(evolve(next, event).map_err(|e| {
                AppError::internal(format!("the domain cannot apply an event it decided: {e}"))
            })?);
        }
        let Some(next) = next else {
            return Err(AppError::internal("a command produced no state"));
        };
        let reserve_code = match &request.command {
            Command::SignProject(sign) => next.code.clone().filter(|_| sign.code.is_some()),
            _ => None,
        };
        // The state is written as JSON once: the list row keeps the text,
        // and the answer is the same members inside the view's.
        let project_row = crate::projection::project_row(request.project_id, &next)?;
        let body = view_json(
            request.project_id,
            project_row.state.as_str(),
            next.is_overdue(self.today()),
        )
        .ok_or_else(|| AppError::internal("the state was not written as a JSON object"))?;
        let response = CommandResponse {
            project_id: request.project_id,
            status: if creating { 201 } else { 200 },
            etag: etag_of(next.version),
            body,
            replayed: false,
        };
        let next = std::sync::Arc::new(next);
        let idempotency = request.idempotency.as_ref().map(|idem| IdempotencyRecord {
            key: idem.key.clone(),
            actor_id: caller.id().to_owned(),
            fingerprint: idem.fingerprint.clone(),
            stream_id: request.project_id,
            status: response.status,
            etag: Some(response.etag.clone()),
            body: response.body.clone(),
        });
        let append = AppendRequest {
            stream_id: request.project_id,
            expected: match &state {
                None => ExpectedVersion::NoStream,
                Some(project) => ExpectedVersion::Exact(project.version),
            },
            events: events
                .iter()
                .map(|e| NewEvent {
                    event_id: Uuid::now_v7(),
                    event: e.encode(),
                    occurred_on: e.occurred_on(),
                })
                .collect(),
            actor: caller.actor(),
            correlation_id: request.correlation_id,
            causation_id: request.causation_id,
            idempotency,
            reserve_code,
            project_row: Some(project_row),
        };
        match self.store.append(append).await? {
            AppendOutcome::Appended(stored) => {
                self.states.put(request.project_id, next);
                tracing::info!(
                    project = %request.project_id,
                    command = %kind,
                    version = stored.last().map_or(0, |e| e.version),
                    "command accepted"
                );
                // A finalized report is evidence: the log commits to it at
                // once, not at the next signing interval. The command is
                // already committed; a signing failure is logged, not
                // answered.
                if kind == CommandKind::Finalize
                    && self.log.is_some()
                    && let Err(error) = self.checkpoint_now().await
                {
                    tracing::error!(%error, "no checkpoint after a finalization");
                }
                Ok(response)
            }
            AppendOutcome::AlreadyDone(previous) => match &request.idempotency {
                Some(idem) => replay_or_refuse(previous, idem),
                None => Err(AppError::internal(
                    "the store replayed a request that had no key",
                )),
            },
        }
    }
}

impl App {
    /// The first answer to a request retried under its idempotency key
    /// (or the refusal of a key reused for another request); `None` for a
    /// request not seen before. Asked before anything else is judged: a
    /// retry must not be refused by what its first try changed.
    pub(crate) async fn replay(
        &self,
        caller: &Caller,
        idempotency: Option<&IdempotencyRequest>,
    ) -> Result<Option<CommandResponse>, AppError> {
        let Some(idem) = idempotency else {
            return Ok(None);
        };
        match self.store.find_idempotency(caller.id(), &idem.key).await? {
            Some(previous) => replay_or_refuse(previous, idem).map(Some),
            None => Ok(None),
        }
    }
}

fn replay_or_refuse(
    previous: IdempotencyRecord,
    request: &IdempotencyRequest,
) -> Result<CommandResponse, AppError> {
    if previous.fingerprint == request.fingerprint {
        Ok(CommandResponse::replay(previous))
    } else {
        Err(AppError::IdempotencyKeyReused {
            key: request.key.clone(),
        })
    }
}
