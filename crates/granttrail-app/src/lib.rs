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

mod auth;
mod commands;
mod error;
mod projection;
mod reads;

use std::sync::Arc;

use granttrail_domain::BusinessDate;
use granttrail_store::{EventStore, ProjectionStore, TokenStore};
use tokio::sync::{Mutex, watch};

pub use auth::{Caller, IssuedToken, TOKEN_CACHE_TTL, hash_secret};
pub use commands::{CommandRequest, CommandResponse, IdempotencyRequest};
pub use error::AppError;
pub use projection::{PROJECT_LIST, ProjectListQuery, ProjectPage};

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
    /// Recently authenticated tokens.
    token_cache: Arc<auth::TokenCache>,
}

impl App {
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
            token_cache: Arc::new(auth::TokenCache::default()),
        }
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
