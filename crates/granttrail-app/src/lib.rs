//! # granttrail-app: the use cases
//!
//! Everything a user can do, independent of HTTP: run a command against a
//! project (load its stream, check who may, check the version the caller
//! saw, `decide`, append with the expected version, remember the answer
//! under the idempotency key), read a project at any point, and manage
//! tokens.
//!
//! ## Main types
//! - [`App`]: the use cases over an [`EventStore`] and a [`TokenStore`].
//! - [`Caller`]: who is asking (actor, role, organisation).
//! - [`CommandRequest`] / [`CommandResponse`]: a command and its answer,
//!   kept byte for byte so an idempotent retry gets the same answer.
//! - [`AppError`]: every way a use case can fail, one variant per answer
//!   the edge must give.
//!
//! ## What this crate does not do
//! No HTTP and no SQL: the API crate maps [`AppError`] to problem+json,
//! and the store crates hold the SQL.

mod attachments;
mod auth;
mod commands;
mod error;
mod history_import;
mod list_params;
mod log_check;
pub mod permissions;
mod projection;
mod reads;
mod sessions;
mod staging;
mod state_cache;
mod transparency;
mod users;

use std::sync::Arc;

use granttrail_domain::{BusinessDate, FourEyes};
use granttrail_store::{EventStore, ProjectionStore, TokenStore};
use tokio::sync::{Mutex, watch};

pub use attachments::{StagedUpload, UploadFacts, disposition_of, evidence_from};
pub use auth::{Caller, IssuedToken, TOKEN_CACHE_TTL, hash_secret};
pub use commands::{CommandRequest, CommandResponse, IdempotencyRequest};
pub use error::AppError;
pub use granttrail_projections::InclusionProof;
pub use history_import::{HISTORY_FORMAT, ImportReport, ImportedProject};
pub use list_params::ListParams;
pub use log_check::LogReport;
pub use projection::{PROJECT_LIST, ProjectListQuery, ProjectPage, ProjectionStuck};
pub use reads::SigningKeyInfo;
pub use sessions::StartedSession;
pub use staging::{ATTACHMENT_MEDIA_TYPES, StagingError, sniffed};
pub use state_cache::CurrentState;
pub use transparency::{AgainstReport, event_leaf};

/// The origin checkpoints carry unless configured (`log_origin`).
pub const DEFAULT_LOG_ORIGIN: &str = "granttrail.invalid/log";

/// The clock the app judges "today" by (for the overdue flag).
pub type Today = Arc<dyn Fn() -> BusinessDate + Send + Sync>;

/// The use cases, shared by the HTTP API and the CLI.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn EventStore>,
    tokens: Arc<dyn TokenStore>,
    projections: Arc<dyn ProjectionStore>,
    today: Today,
    /// Serialises projection catch-up within this process.
    projecting: Arc<Mutex<()>>,
    /// The position the project list has applied up to.
    projected: Arc<watch::Sender<i64>>,
    /// Where the project-list runner stopped, if it did.
    projection_stuck: Arc<std::sync::Mutex<Option<projection::ProjectionStuck>>>,
    /// Events this process applied to the project list in saved steps.
    events_projected: Arc<std::sync::atomic::AtomicU64>,
    /// A test hook: the runner stops for good after this many saved
    /// catch-up steps (`with_projection_pause_after`).
    pause_after_steps: Option<u64>,
    /// Catch-up steps this process saved.
    steps_saved: Arc<std::sync::atomic::AtomicU64>,
    /// Recently authenticated tokens.
    token_cache: Arc<auth::TokenCache>,
    /// Signs export bundles and the log's checkpoints.
    signing_key: Option<Arc<ed25519_dalek::SigningKey>>,
    /// The transparency log, when the backend keeps one.
    log: Option<Arc<dyn granttrail_store::LogStore>>,
    /// The log's origin: its name in every checkpoint.
    log_origin: String,
    /// Serialises integration and signing within this process.
    log_lock: Arc<Mutex<()>>,
    /// Current states of recently used projects, by head version.
    states: Arc<state_cache::StateCache>,
    /// Whether the four-eyes rules apply to token callers.
    four_eyes: FourEyes,
    /// Where attachment bytes are kept, when the backend keeps them.
    blobs: Option<Arc<dyn granttrail_store::BlobStore>>,
    /// The most bytes an attachment may have.
    attachment_limit: u64,
}

impl App {
    /// The key this process signs with, or why there is none.
    pub(crate) fn signing_key(&self) -> Result<&ed25519_dalek::SigningKey, AppError> {
        self.signing_key.as_deref().ok_or_else(|| {
            AppError::internal("this process was given no signing key, so it signs nothing")
        })
    }

    /// The app over a store, judging "today" by the system clock (UTC).
    pub fn new(
        store: Arc<dyn EventStore>,
        tokens: Arc<dyn TokenStore>,
        projections: Arc<dyn ProjectionStore>,
    ) -> App {
        App {
            store,
            tokens,
            projections,
            today: Arc::new(|| BusinessDate::from(chrono::Utc::now().date_naive())),
            projecting: Arc::new(Mutex::new(())),
            projected: Arc::new(watch::channel(0).0),
            events_projected: Arc::default(),
            pause_after_steps: None,
            steps_saved: Arc::default(),
            projection_stuck: Arc::default(),
            token_cache: Arc::new(auth::TokenCache::new(TOKEN_CACHE_TTL)),
            // No key until the operator's is set: a process that was not
            // given one refuses to sign, rather than sign with a key no
            // auditor knows.
            signing_key: None,
            log: None,
            log_origin: DEFAULT_LOG_ORIGIN.to_owned(),
            log_lock: Arc::new(Mutex::new(())),
            states: Arc::new(state_cache::StateCache::new(state_cache::CAPACITY)),
            four_eyes: FourEyes::Required,
            blobs: None,
            attachment_limit: 20 * 1024 * 1024,
        }
    }

    /// Turns the four-eyes rules on (the default) or off (the `four_eyes`
    /// setting).
    pub fn with_four_eyes(mut self, four_eyes: FourEyes) -> App {
        self.four_eyes = four_eyes;
        self
    }

    /// Keeps the transparency log in `log`, with checkpoints named
    /// `origin`.
    pub fn with_log(mut self, log: Arc<dyn granttrail_store::LogStore>, origin: &str) -> App {
        self.log = Some(log);
        self.log_origin = origin.to_owned();
        self
    }

    /// Signs export bundles and checkpoints with `key` (loaded or
    /// generated by the CLI). Until then the app signs nothing.
    pub fn with_signing_key(mut self, key: ed25519_dalek::SigningKey) -> App {
        self.signing_key = Some(Arc::new(key));
        self
    }

    /// Trusts an authenticated token for `ttl` before asking the store
    /// again: how long a token revoked by another process (the CLI,
    /// another server) may still work here. Zero asks every time.
    pub fn with_token_cache_ttl(mut self, ttl: std::time::Duration) -> App {
        self.token_cache = Arc::new(auth::TokenCache::new(ttl));
        self
    }

    /// A test hook: after `steps` saved catch-up steps the project-list
    /// runner logs `the project-list runner pauses here` and waits
    /// forever, so a test can kill the process at that exact point
    /// instead of polling for it.
    pub fn with_projection_pause_after(mut self, steps: u64) -> App {
        self.pause_after_steps = Some(steps);
        self
    }

    /// Replaces the clock, for tests and replays of a fixed day.
    pub fn with_today(mut self, today: Today) -> App {
        self.today = today;
        self
    }

    /// The event store behind the app.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// Today's date by the app's clock.
    pub fn today(&self) -> BusinessDate {
        (self.today)()
    }
}
