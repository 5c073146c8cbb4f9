//! Reading projects and their history.

use granttrail_domain::BusinessDate;
use granttrail_projections::{
    AuditRow, Lang, PointInTime, ProjectView, Report, ReportError, audit_trail, build_report,
    state_at,
};
use granttrail_store::{StoredEvent, StreamBound, chain};
use uuid::Uuid;

use crate::permissions::{Action, permits};
use crate::state_cache::render;
use crate::{App, AppError, Caller, CurrentState};

impl App {
    /// A stream's events within `bound`, if the caller may see the
    /// project, after checking their hash chain: history that was altered
    /// under the store is never folded, served or built on (503
    /// `integrity-failed`, naming the first bad version).
    ///
    /// Visibility is judged first, so a caller who may not see a project
    /// learns nothing of it, not even that its history is broken: every
    /// answer about another organisation's project is the same 404.
    pub(crate) async fn read_checked(
        &self,
        caller: &Caller,
        id: Uuid,
        bound: StreamBound,
    ) -> Result<Vec<StoredEvent>, AppError> {
        permits(caller, Action::ReadProject)?;
        let events = self.store.read_stream(id, bound).await?;
        let visible = match events.first() {
            None => false,
            Some(_) => state_at(&events[..1], PointInTime::Version(1))
                .ok()
                .flatten()
                .is_some_and(|first| caller.sees_org(&first.executor.org_id)),
        };
        if !visible {
            return Err(AppError::NotFound);
        }
        chain::verify_prefix(id, &events)
            .map_err(|broken| AppError::integrity_failed(id, broken.version, broken.problem))?;
        Ok(events)
    }

    /// A project's stored events, oldest first, if the caller may see it.
    pub async fn events(&self, caller: &Caller, id: Uuid) -> Result<Vec<StoredEvent>, AppError> {
        self.read_checked(caller, id, StreamBound::default()).await
    }

    /// A project's current state as served (`GET /projects/{id}`):
    /// from the state cache while the stream's head is the version cached,
    /// else read, checked and folded (and cached).
    pub async fn current_state(&self, caller: &Caller, id: Uuid) -> Result<CurrentState, AppError> {
        permits(caller, Action::ReadProject)?;
        let today = self.today();
        let head = match self.store.known_head(id) {
            Some(version) => Some(version),
            None => self.store.stream_head(id).await?.map(|head| head.version),
        };
        if let Some(version) = head
            && let Some((org_id, state)) = self.states.get(id, version, today)
        {
            // Visibility exactly as a read from the store judges it.
            if !caller.sees_org(&org_id) {
                return Err(AppError::NotFound);
            }
            return Ok(state);
        }
        let events = self
            .read_checked(caller, id, StreamBound::default())
            .await?;
        let Some(project) = state_at(&events, PointInTime::Latest).map_err(AppError::history)?
        else {
            return Err(AppError::NotFound);
        };
        let project = std::sync::Arc::new(project);
        let state = render(id, &project, today).ok_or_else(|| {
            AppError::internal(format!("project {id} cannot be rendered as JSON"))
        })?;
        self.states.put(id, project);
        Ok(state)
    }

    /// A project's state at a point in its history.
    pub async fn project(
        &self,
        caller: &Caller,
        id: Uuid,
        point: PointInTime,
    ) -> Result<ProjectView, AppError> {
        // Narrow the read in the store where the bound is a column.
        let bound = match point {
            PointInTime::Version(v) => StreamBound {
                up_to_version: Some(v),
                recorded_at_or_before: None,
            },
            PointInTime::KnownAt(instant) => StreamBound {
                up_to_version: None,
                recorded_at_or_before: Some(instant),
            },
            PointInTime::Latest | PointInTime::AsOf(_) => StreamBound::default(),
        };
        let events = match self.read_checked(caller, id, bound).await {
            // Nothing recorded by that instant: a project the caller may
            // see, but not yet then, is told apart from no project at all.
            Err(AppError::NotFound) if matches!(point, PointInTime::KnownAt(_)) => {
                return Err(self.not_yet_existing(caller, id, point).await);
            }
            other => other?,
        };
        if let PointInTime::Version(v) = point {
            let head = events.last().map_or(0, |e| e.version);
            if v > head && head > 0 {
                return Err(AppError::BadParameter {
                    parameter: "version".into(),
                    message: format!("the project has {head} versions; there is no version {v}"),
                });
            }
        }
        let today = self.today();
        // `overdue` is judged on the point's own day: a view of how things
        // stood in 2022 says whether the project was overdue then.
        let on = match point {
            PointInTime::Latest => today,
            PointInTime::AsOf(date) => date.min(today),
            PointInTime::KnownAt(instant) => BusinessDate::from(instant.date_naive()).min(today),
            PointInTime::Version(v) => events
                .iter()
                .find(|e| e.version == v)
                .map_or(today, |e| BusinessDate::from(e.recorded_at.date_naive()))
                .min(today),
        };
        match state_at(&events, point).map_err(AppError::history)? {
            Some(project) => Ok(ProjectView::new(id, project, on)),
            None => Err(self.not_yet_existing(caller, id, point).await),
        }
    }

    /// The answer for a point before a visible project began: 404
    /// `not-yet-existing` with the project's first dates; a project the
    /// caller may not see stays a plain 404.
    async fn not_yet_existing(&self, caller: &Caller, id: Uuid, point: PointInTime) -> AppError {
        let first = StreamBound {
            up_to_version: Some(1),
            recorded_at_or_before: None,
        };
        match self.read_checked(caller, id, first).await {
            Ok(events) => match events.first() {
                Some(first) => AppError::NotYetExisting {
                    point: point.to_string(),
                    first_date: first.occurred_on,
                    first_recorded_at: first.recorded_at,
                },
                None => AppError::NotFound,
            },
            Err(error) => error,
        }
    }
}

impl App {
    /// A project's audit trail: one row per event.
    pub async fn audit_trail(&self, caller: &Caller, id: Uuid) -> Result<Vec<AuditRow>, AppError> {
        let events = self.events(caller, id).await?;
        audit_trail(&events).map_err(AppError::history)
    }

    /// A project's closing-evaluation report, once a draft exists; with
    /// `version`, the report as it stood at that version (the draft a board
    /// actually read).
    pub async fn report(
        &self,
        caller: &Caller,
        id: Uuid,
        lang: Lang,
        version: Option<u64>,
    ) -> Result<Report, AppError> {
        if version == Some(0) {
            return Err(AppError::BadParameter {
                parameter: "version".into(),
                message: "versions start at 1".into(),
            });
        }
        let bound = StreamBound {
            up_to_version: version,
            recorded_at_or_before: None,
        };
        let events = self.read_checked(caller, id, bound).await?;
        if let Some(v) = version {
            let head = events.last().map_or(0, |e| e.version);
            if v > head {
                return Err(AppError::BadParameter {
                    parameter: "version".into(),
                    message: format!("the project has {head} versions; there is no version {v}"),
                });
            }
        }
        let report = build_report(&events, lang).map_err(AppError::report)?;
        // The report names the checkpoint covering its last event, once
        // the log has one: a printed copy, draft or final, can then be
        // proven against the log.
        match (&self.log, events.last()) {
            (Some(log), Some(last)) => {
                let covering = match log.leaf_index(last.position).await? {
                    Some(index) => log.checkpoint_covering(index + 1).await?,
                    None => None,
                };
                let origin = |note: &str| {
                    granttrail_tlog::note::Note::parse(note)
                        .ok()
                        .and_then(|n| granttrail_tlog::Checkpoint::parse(&n.text).ok())
                        .map(|c| c.origin)
                };
                Ok(match covering {
                    Some(c) => {
                        let origin = origin(&c.note).unwrap_or_else(|| self.log_origin.clone());
                        report.with_checkpoint(&origin, c.size, &c.root, &c.key_id)
                    }
                    None => report,
                })
            }
            _ => Ok(report),
        }
    }
}

impl App {
    /// Recomputes a project's hash chain: `ok`, the number of events, the
    /// head hash and the first bad version. Executors may verify only their
    /// own organisation's projects (any other is a 404).
    pub async fn verify(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<granttrail_store::chain::ChainReport, AppError> {
        permits(caller, Action::ReadProject)?;
        if caller.role() == granttrail_store::Role::Executor {
            // Visibility only: the report below says what is broken.
            let first = StreamBound {
                up_to_version: Some(1),
                recorded_at_or_before: None,
            };
            self.read_checked(caller, id, first).await?;
        }
        let report = self.store.verify_stream(id).await?;
        if report.events == 0 && report.ok {
            return Err(AppError::NotFound);
        }
        Ok(report)
    }
}

impl App {
    /// A signed compliance bundle of one project (see
    /// `granttrail_projections::build_bundle`).
    pub async fn export(&self, caller: &Caller, id: Uuid) -> Result<Vec<u8>, AppError> {
        let events = self.events(caller, id).await?;
        // A bundle's evidence is a checkpoint covering its last event.
        let evidence = match self.log {
            Some(_) => Some(self.evidence(&events).await?),
            None => None,
        };
        let project = state_at(&events, PointInTime::Latest)
            .map_err(AppError::history)?
            .ok_or(AppError::NotFound)?;
        let mut attachments = Vec::new();
        for attachment in &project.attachments {
            let (_, bytes) = self.attachment(caller, id, &attachment.sha256).await?;
            attachments.push((attachment.sha256.clone(), bytes));
        }
        let view = ProjectView::new(id, project, self.today());
        let actor = caller.actor();
        let exporter = format!("{} ({})", actor.name, actor.role);
        let now = granttrail_store::format_instant(&granttrail_store::now_micros());
        let signer = self.log_signer()?;
        granttrail_projections::build_bundle(
            &events,
            &view,
            &exporter,
            &now,
            &signer,
            self.signing_key()?,
            evidence.as_ref(),
            &attachments,
        )
        .map_err(|error| match error {
            ReportError::Render(reason) => AppError::render_failed("bundle", reason),
            other => AppError::report(other),
        })
    }

    /// The public half of the bundle-signing key, and the log's verifier
    /// key.
    pub fn signing_key_info(&self) -> Result<SigningKeyInfo, AppError> {
        use base64::Engine;
        let public = self.signing_key()?.verifying_key().to_bytes();
        let verifier = self.log_signer().ok().map(|s| s.verifier().clone());
        Ok(SigningKeyInfo {
            algorithm: "Ed25519",
            public_key: hex::encode(public),
            public_key_base64: base64::engine::general_purpose::STANDARD.encode(public),
            key_id: verifier.as_ref().map(|v| format!("{:08x}", v.key_id())),
            log_verifier_key: verifier.as_ref().map(|v| v.encode()),
        })
    }
}

/// The keys an auditor pins (`GET /api/v1/signing-key`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SigningKeyInfo {
    /// Always `Ed25519`.
    pub algorithm: &'static str,
    /// The bundle-signing public key, hex.
    pub public_key: String,
    /// The same key, base64.
    pub public_key_base64: String,
    /// The log key's id (8 hex digits), when the log is on.
    pub key_id: Option<String>,
    /// The log's verifier key in the signed-note form, when the log is on.
    pub log_verifier_key: Option<String>,
}

impl App {
    /// Up to `limit` events of every project after `after`, in commit
    /// order. Executors see only their own organisation's projects, so the
    /// global feed is not theirs.
    pub async fn global_events(
        &self,
        caller: &Caller,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, AppError> {
        permits(caller, Action::ReadEveryEvent)?;
        let events = self.store.read_all(after, limit).await?;
        // Followers remember the last position they read; the store must
        // never hand it out again, even after losing its newest commits.
        if let Some(last) = events.last() {
            self.store.mark_told(last.position).await?;
        }
        Ok(events)
    }

    /// Every project id, oldest first (for exports of the whole store).
    pub async fn project_ids(&self, caller: &Caller) -> Result<Vec<Uuid>, AppError> {
        permits(caller, Action::ExportEveryProject)?;
        Ok(self.store.stream_ids().await?)
    }
}
