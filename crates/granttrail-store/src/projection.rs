//! Where projections keep their rows and checkpoints.

use async_trait::async_trait;
use granttrail_domain::BusinessDate;
use uuid::Uuid;

use crate::StoreError;

/// The name of the current-state projection (its checkpoint row), which
/// appends may also keep current inline ([`crate::AppendRequest::project_row`]).
pub const PROJECT_LIST: &str = "project_list";

/// One project in the current-state projection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRow {
    /// The project id (UUIDv7: ordering by id is ordering by creation).
    pub id: Uuid,
    /// The version folded so far.
    pub version: u64,
    /// Current stage name.
    pub stage: String,
    /// The executing organisation.
    pub executor_org_id: String,
    /// Current planned end.
    pub planned_end: BusinessDate,
    /// The first day the project counts as overdue, if it is waiting for
    /// its self-report (`Project::overdue_from`).
    pub overdue_from: Option<BusinessDate>,
    /// The date the agreement was signed.
    pub signed_on: BusinessDate,
    /// What a search looks in: the code, title, executor (name and id)
    /// and communities, lowercased, one per line.
    pub search_text: String,
    /// Data-quality flags of an imported history not yet resolved by a
    /// correction (`?flagged=true`).
    pub unresolved_flags: u64,
    /// The folded `granttrail_domain::Project` as JSON text.
    pub state: StateJson,
}

/// A folded state as JSON text.
///
/// Kept as text, not as a `serde_json::Value`: a command serialises its
/// new state once, and the same text is written to the row and sent back
/// to the client; a read parses it straight into the state it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateJson(String);

impl StateJson {
    /// `value` serialised as JSON.
    pub fn of<T: serde::Serialize + ?Sized>(value: &T) -> Result<StateJson, serde_json::Error> {
        serde_json::to_string(value).map(StateJson)
    }

    /// Text read back from storage, as stored. It is parsed once, by its
    /// reader ([`StateJson::read`]), whose failure names the damaged row
    /// (the app answers `CorruptRow` with the table and the project id).
    pub fn from_stored(text: String) -> StateJson {
        StateJson(text)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The state read as `T`.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

/// The positions a projection's checkpoint moves between in one save: the
/// events in `(from, to]` were applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointStep {
    /// Where the runner found the checkpoint before it read the events.
    pub from: i64,
    /// The position of the last event applied.
    pub to: i64,
}

/// What became of a save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// The rows were written and the checkpoint moved.
    Written,
    /// The checkpoint had moved away from `from`; nothing was written.
    Overtaken,
}

/// A filtered, paginated read of the project list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectFilter {
    /// Only this stage.
    pub stage: Option<String>,
    /// Only this executing organisation.
    pub executor: Option<String>,
    /// Only overdue (`Some(true)`) or not overdue (`Some(false)`) projects
    /// on the given day.
    pub overdue_on: Option<(bool, BusinessDate)>,
    /// Only projects whose search text contains this (lowercased) text.
    pub search: Option<String>,
    /// Only projects signed on or after this date.
    pub signed_from: Option<BusinessDate>,
    /// Only projects signed on or before this date.
    pub signed_to: Option<BusinessDate>,
    /// Only projects with (`Some(true)`) or without (`Some(false)`)
    /// unresolved data-quality flags.
    pub flagged: Option<bool>,
    /// Only projects after this id (the cursor).
    pub after: Option<Uuid>,
    /// At most this many.
    pub limit: u32,
}

/// Rows and checkpoints of the projections, kept beside the events.
#[async_trait]
pub trait ProjectionStore: Send + Sync + 'static {
    /// The global position a projection has applied up to (0 if never run).
    async fn checkpoint(&self, projection: &str) -> Result<i64, StoreError>;
    /// The current rows of these projects, for folding new events onto.
    async fn load_projects(&self, ids: &[Uuid]) -> Result<Vec<ProjectRow>, StoreError>;
    /// Writes rows and moves the checkpoint from `step.from` to `step.to`,
    /// in one transaction, if the checkpoint still stands at `step.from`.
    /// Otherwise another runner (another process on the same database, a
    /// rebuild) applied those events first: nothing is written and the
    /// answer is [`Saved::Overtaken`]. Checkpoints therefore only move in
    /// contiguous, disjoint steps, and each event is applied exactly once,
    /// across crashes and across processes.
    async fn save_projects(
        &self,
        projection: &str,
        rows: &[ProjectRow],
        step: CheckpointStep,
    ) -> Result<Saved, StoreError>;
    /// A page of the project list, ordered by id.
    async fn list_projects(&self, filter: &ProjectFilter) -> Result<Vec<ProjectRow>, StoreError>;
    /// Forgets a projection's rows and checkpoint, for a rebuild from 0.
    async fn reset(&self, projection: &str) -> Result<(), StoreError>;
}
