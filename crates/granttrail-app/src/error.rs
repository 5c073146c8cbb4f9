//! What can go wrong in a use case; one variant per distinct answer.

use granttrail_domain::Rejection;
use granttrail_store::StoreError;

/// A use case's failure. Every variant says nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// No such project, or one the caller may not see (an executor asking
    /// about another organisation's project is told the same thing).
    #[error("no such project")]
    NotFound,
    /// The project exists (and the caller may see it), but not yet at the
    /// point asked for.
    #[error("the project did not exist yet at {point}; it was signed on {first_date}")]
    NotYetExisting {
        /// The point asked for, in words.
        point: String,
        /// The business date of its first event (the signing).
        first_date: granttrail_domain::BusinessDate,
        /// When its first event was recorded.
        first_recorded_at: chrono::DateTime<chrono::Utc>,
    },
    /// The caller is known but their role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The token is unknown or revoked.
    #[error("unauthenticated")]
    Unauthenticated,
    /// A command on an existing project came without `If-Match`.
    #[error("If-Match with the version you last saw is required")]
    PreconditionRequired,
    /// The caller decided against an older version.
    #[error("the project is at version {current}, not {expected}")]
    VersionMismatch {
        /// What the caller sent.
        expected: u64,
        /// The current version.
        current: u64,
    },
    /// The domain refused the command.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The project code is taken.
    #[error("project code '{code}' is already used")]
    DuplicateCode {
        /// The code.
        code: String,
    },
    /// A history file that cannot be imported: nothing was written.
    #[error("{message}")]
    ImportRefused {
        /// What is wrong, naming the project and fact.
        message: String,
    },
    /// An attachment's bytes are missing or no longer match the hash its
    /// event promises: they are not served.
    #[error("attachment {sha256} of project {project}: {why}")]
    AttachmentDamaged {
        /// The project.
        project: uuid::Uuid,
        /// The attachment's SHA-256.
        sha256: String,
        /// What is wrong.
        why: String,
    },
    /// A user with this id already exists.
    #[error("a user with id '{id}' already exists")]
    UserExists {
        /// The id.
        id: String,
    },
    /// No evaluation draft exists yet, so there is no report.
    #[error("the evaluation report has not been drafted yet")]
    ReportNotReady,
    /// The idempotency key was used before for a different request.
    #[error("Idempotency-Key '{key}' was already used for a different request")]
    IdempotencyKeyReused {
        /// The key.
        key: String,
    },
    /// A bad request parameter (a version, instant or date in a query).
    #[error("{message}")]
    BadParameter {
        /// The parameter's name.
        parameter: String,
        /// What is wrong with it.
        message: String,
    },
    /// A stream's stored history fails its hash chain (or a row cannot be
    /// decoded): it is not served, and no command builds on it.
    #[error("project {stream_id} failed its integrity check at version {version}: {problem}")]
    IntegrityFailed {
        /// The project.
        stream_id: uuid::Uuid,
        /// The first bad version.
        version: u64,
        /// What is wrong there.
        problem: String,
    },
    /// The stored log does not extend its newest checkpoint: it was
    /// altered, and nothing is signed over it.
    #[error("{0}")]
    LogInconsistent(String),
    /// The project-list runner stopped at an event it cannot apply.
    #[error("{0}")]
    ProjectionStuck(String),
    /// Stored events that read back but cannot be decoded or folded into
    /// a project: damage or tampering the hash chain did not catch first.
    #[error("stored history cannot be read: {0}")]
    Corrupt(String),
    /// A report, CSV or bundle could not be produced from history that
    /// reads correctly.
    #[error("could not produce the {what}: {reason}")]
    RenderFailed {
        /// What was being produced (`report`, `audit CSV`, `bundle`).
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A fault in granttrail itself: a broken invariant, a failed
    /// signing. Nothing was written.
    #[error("internal error: {0}")]
    Internal(String),
    /// A stored row other than an event (a token, an idempotency record,
    /// a project-list row) cannot be read back.
    #[error("the {table} row {key} cannot be read: {reason}")]
    CorruptRow {
        /// The table.
        table: &'static str,
        /// The row's key.
        key: String,
        /// What was wrong.
        reason: String,
    },
    /// The store could not be reached; nothing was written.
    #[error("the event store is unavailable")]
    Unavailable(String),
}

/// The constructors for failures that start in the app layer: each logs
/// once, here. `From` conversions below log nothing (the store logged
/// its own errors where they started).
impl AppError {
    /// Stored events that cannot be decoded or folded.
    pub fn corrupt(reason: impl Into<String>) -> AppError {
        let reason = reason.into();
        tracing::error!(%reason, "stored history cannot be read");
        AppError::Corrupt(reason)
    }

    /// A report, CSV or bundle that could not be produced.
    pub fn render_failed(what: &'static str, reason: impl std::fmt::Display) -> AppError {
        let reason = reason.to_string();
        tracing::error!(what, %reason, "could not produce an output");
        AppError::RenderFailed { what, reason }
    }

    /// A fault in granttrail itself.
    pub fn internal(reason: impl Into<String>) -> AppError {
        let reason = reason.into();
        tracing::error!(%reason, "internal error");
        AppError::Internal(reason)
    }

    /// A stream whose hash chain is broken at `version`.
    pub fn integrity_failed(
        stream_id: uuid::Uuid,
        version: u64,
        problem: impl Into<String>,
    ) -> AppError {
        let problem = problem.into();
        tracing::error!(%stream_id, version, %problem, "a project failed its integrity check; it is not served");
        AppError::IntegrityFailed {
            stream_id,
            version,
            problem,
        }
    }

    /// Attachment bytes that are missing or altered; logged here, once.
    pub fn attachment_damaged(project: uuid::Uuid, sha256: &str, why: &str) -> AppError {
        tracing::error!(%project, sha256, why, "an attachment failed its check; it is not served");
        AppError::AttachmentDamaged {
            project,
            sha256: sha256.to_owned(),
            why: why.to_owned(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::VersionConflict {
                expected, actual, ..
            } => AppError::VersionMismatch {
                expected,
                current: actual,
            },
            StoreError::DuplicateCode { code, .. } => AppError::DuplicateCode { code },
            StoreError::IdempotencyRace { key } => AppError::IdempotencyKeyReused { key },
            StoreError::CorruptStream {
                stream_id,
                version,
                reason,
            } => AppError::IntegrityFailed {
                stream_id,
                version,
                problem: reason,
            },
            StoreError::CorruptRow { table, key, reason } => {
                AppError::CorruptRow { table, key, reason }
            }
            StoreError::Unavailable(reason) => AppError::Unavailable(reason),
        }
    }
}

/// Outputs of the pure crates, which cannot log: these constructors are
/// where their errors start as far as logging goes.
impl AppError {
    /// History that cannot be folded into a project.
    pub fn history(error: granttrail_projections::ProjectionError) -> AppError {
        AppError::corrupt(error.to_string())
    }

    /// A report that cannot be produced, by its cause.
    pub fn report(error: granttrail_projections::ReportError) -> AppError {
        use granttrail_projections::ReportError;
        match error {
            ReportError::NotReady => AppError::ReportNotReady,
            ReportError::History(history) => AppError::history(history),
            ReportError::Render(reason) => AppError::render_failed("report", reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use granttrail_projections::{ProjectionError, ReportError};

    use super::*;

    #[test]
    fn a_report_that_cannot_render_is_a_render_failure_not_corrupt_history() {
        let error = AppError::report(ReportError::Render("template".into()));
        assert!(
            matches!(error, AppError::RenderFailed { what: "report", .. }),
            "{error:?}"
        );
        assert_eq!(
            AppError::report(ReportError::NotReady),
            AppError::ReportNotReady
        );
    }

    #[test]
    fn history_that_cannot_fold_is_corrupt_history() {
        let history =
            ProjectionError::from(granttrail_domain::HistoryError::SignedTwice { version: 4 });
        assert!(matches!(
            AppError::report(ReportError::History(history)),
            AppError::Corrupt(_)
        ));
    }
}
