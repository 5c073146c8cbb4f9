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
    /// Stored data failed to read back: the integrity check failed.
    #[error("stored history of project cannot be read: {0}")]
    Corrupt(String),
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

impl From<granttrail_projections::ProjectionError> for AppError {
    fn from(error: granttrail_projections::ProjectionError) -> Self {
        AppError::Corrupt(error.to_string())
    }
}
