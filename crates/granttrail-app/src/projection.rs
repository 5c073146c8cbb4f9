//! The projection runner: follows the global log and keeps the project
//! list (current state of every project) up to date.

use std::collections::HashMap;

use granttrail_domain::{BusinessDate, Project, ProjectEvent, Stage, evolve};
use granttrail_projections::ProjectView;
use granttrail_store::{CheckpointStep, ProjectFilter, ProjectRow, Saved, StateJson, StoredEvent};
use serde::Serialize;
use uuid::Uuid;

use crate::permissions::{Action, permits};
use crate::{App, AppError, Caller};

pub use granttrail_store::PROJECT_LIST;

/// How long the runner lets commits gather before catching up.
const CATCH_UP_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// How many events one catch-up step reads and writes at once.
///
/// Small, because each step's save runs on the event writer's connection:
/// with 1 000-event steps a save held appends back long enough to set the
/// POST p99 (50 ms at 4.8 k req/s); with 100, appends slip in between
/// saves (p99 15 ms at 6.1 k req/s, same machine, side by side; see
/// docs/benchmarks.md). A rebuild, with no appends to make room for, uses
/// large pages.
const PAGE: u32 = 100;

/// How many events one rebuild step reads and writes at once.
const REBUILD_PAGE: u32 = 5000;

/// A request for the project list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectListQuery {
    /// Only this stage.
    pub stage: Option<Stage>,
    /// Only this executing organisation.
    pub executor: Option<String>,
    /// Only overdue (or only not overdue) projects, judged today.
    pub overdue: Option<bool>,
    /// Only projects whose code, title, executor (name or id) or a
    /// community contains this text, without regard to case.
    pub search: Option<String>,
    /// Only projects signed on or after this date.
    pub signed_from: Option<BusinessDate>,
    /// Only projects signed on or before this date.
    pub signed_to: Option<BusinessDate>,
    /// Only projects with (or without) unresolved data-quality flags.
    pub flagged: Option<bool>,
    /// Page size.
    pub limit: u32,
    /// The last id of the previous page.
    pub cursor: Option<Uuid>,
}

/// One page of the project list.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectPage {
    /// The projects, oldest first.
    pub items: Vec<ProjectView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Where the project-list runner stopped: an event it cannot apply.
///
/// The runner keeps its checkpoint just before this event (everything
/// before it is applied and saved) and tries again now and then, so that
/// once an operator has mended the cause (docs/deployment.md, "When the
/// project list is stuck") it carries on without a restart. Meanwhile the
/// list serves what it has, readiness reports this, and `granttrail
/// verify` names the event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProjectionStuck {
    /// The global position of the event.
    pub position: i64,
    /// Its project, if the event could be read at all.
    pub stream_id: Option<Uuid>,
    /// Its version, if the event could be read at all.
    pub version: Option<u64>,
    /// Why it cannot be applied.
    pub reason: String,
}

impl std::fmt::Display for ProjectionStuck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the project list stopped at position {}", self.position)?;
        if let (Some(stream), Some(version)) = (self.stream_id, self.version) {
            write!(f, " (project {stream} version {version})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Folds new events onto a projected project, skipping any the row
/// already holds (a second line of defence behind the checkpoint step).
fn apply(project: Option<Project>, stored: &StoredEvent) -> Result<Option<Project>, AppError> {
    if project
        .as_ref()
        .is_some_and(|p| p.version >= stored.version)
    {
        return Ok(project);
    }
    let event = ProjectEvent::decode_parts(&stored.event_type, stored.schema_version, &stored.data)
        .map_err(|e| AppError::corrupt(format!("event at position {}: {e}", stored.position)))?;
    evolve(project, &event)
        .map(Some)
        .map_err(|e| AppError::corrupt(format!("event at position {}: {e}", stored.position)))
}

/// What a page of events folds into.
enum Folded {
    /// Every event applied.
    All(Vec<ProjectRow>),
    /// Event `index` cannot be applied; `rows` hold the events before it.
    Until {
        index: usize,
        rows: Vec<ProjectRow>,
        reason: String,
    },
}

/// Folds `events` onto `projects`; the index of the first event that
/// cannot be applied, and why, if one cannot.
fn fold(
    mut projects: HashMap<Uuid, Option<Project>>,
    events: &[StoredEvent],
) -> Result<Vec<(Uuid, Project)>, (usize, String)> {
    for (index, event) in events.iter().enumerate() {
        let slot = projects.entry(event.stream_id).or_insert(None);
        *slot = apply(slot.take(), event).map_err(|e| (index, e.to_string()))?;
    }
    Ok(projects
        .into_iter()
        .filter_map(|(id, project)| project.map(|p| (id, p)))
        .collect())
}

/// The list rows of folded projects.
fn rows_of(projects: Vec<(Uuid, Project)>) -> Result<Vec<ProjectRow>, AppError> {
    projects
        .into_iter()
        .map(|(id, project)| project_row(id, &project))
        .collect()
}

/// A project's row in the project list.
pub(crate) fn project_row(id: Uuid, project: &Project) -> Result<ProjectRow, AppError> {
    Ok(ProjectRow {
        id,
        version: project.version,
        stage: project.stage.as_str().to_owned(),
        executor_org_id: project.executor.org_id.clone(),
        planned_end: project.period.end,
        overdue_from: project.overdue_from(),
        signed_on: project.signed_on,
        search_text: search_text(project),
        unresolved_flags: project
            .data_quality
            .iter()
            .filter(|f| f.resolved_by.is_none())
            .count() as u64,
        state: StateJson::of(project)
            .map_err(|e| AppError::internal(format!("the state cannot be written as JSON: {e}")))?,
    })
}

/// What a search of the list looks in: the code, the title, the executor's
/// name and id, and the communities, lowercased, one per line (so a search
/// never matches across two of them).
fn search_text(project: &Project) -> String {
    let mut parts: Vec<&str> = Vec::new();
    parts.extend(project.code.as_deref());
    parts.push(&project.title);
    parts.push(&project.executor.name);
    parts.push(&project.executor.org_id);
    parts.extend(project.communities.iter().map(String::as_str));
    parts.join("\n").to_lowercase()
}

impl App {
    /// Applies every event after the projection's checkpoint, page by
    /// page; returns the new checkpoint. Calls are serialised within a
    /// process; across processes the checkpoint only moves from where a
    /// runner found it (`save_projects`), so a runner that was overtaken
    /// writes nothing, reads the checkpoint again and carries on from
    /// there: each event is applied exactly once.
    pub async fn catch_up_projections(&self) -> Result<i64, AppError> {
        let _one_at_a_time = self.projecting.lock().await;
        let mut checkpoint = self.projections.checkpoint(PROJECT_LIST).await?;
        loop {
            let events = match self.store.read_all(checkpoint, PAGE).await {
                Ok(events) => events,
                Err(granttrail_store::StoreError::CorruptStream {
                    stream_id,
                    version,
                    reason,
                }) => {
                    // The page holds a row that cannot be read; its
                    // position is past the checkpoint.
                    return Err(self.stuck(ProjectionStuck {
                        position: checkpoint + 1,
                        stream_id: Some(stream_id),
                        version: Some(version),
                        reason,
                    }));
                }
                Err(other) => return Err(other.into()),
            };
            let Some(last) = events.last() else { break };
            let (good, bad) = match self.fold_page(&events).await? {
                Folded::All(rows) => (Some((rows, last.position, events.len())), None),
                Folded::Until {
                    index,
                    rows,
                    reason,
                } => {
                    let kept = index
                        .checked_sub(1)
                        .map(|before| (rows, events[before].position, index));
                    let event = &events[index];
                    let stuck = ProjectionStuck {
                        position: event.position,
                        stream_id: Some(event.stream_id),
                        version: Some(event.version),
                        reason,
                    };
                    (kept, Some(stuck))
                }
            };
            if let Some((rows, to, applied)) = good {
                let step = CheckpointStep {
                    from: checkpoint,
                    to,
                };
                checkpoint = match self.save_rows(&rows, step, applied).await? {
                    Saved::Written => step.to,
                    Saved::Overtaken => self.projections.checkpoint(PROJECT_LIST).await?,
                };
                self.projected.send_replace(checkpoint);
                self.pause_if_asked().await;
            }
            if let Some(stuck) = bad {
                return Err(self.stuck(stuck));
            }
            if events.len() < PAGE as usize {
                break;
            }
        }
        self.projected.send_replace(checkpoint);
        self.set_stuck(None);
        Ok(checkpoint)
    }

    /// The test hook of [`App::with_projection_pause_after`].
    async fn pause_if_asked(&self) {
        let saved = self
            .steps_saved
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel)
            + 1;
        if self.pause_after_steps == Some(saved) {
            tracing::warn!(
                checkpoint = *self.projected.borrow(),
                "the project-list runner pauses here (test hook)"
            );
            std::future::pending::<()>().await;
        }
    }

    /// Records where the runner stopped (logging it once) and the error
    /// its callers get.
    fn stuck(&self, stuck: ProjectionStuck) -> AppError {
        let error = AppError::ProjectionStuck(stuck.to_string());
        self.set_stuck(Some(stuck));
        error
    }

    fn set_stuck(&self, stuck: Option<ProjectionStuck>) {
        let mut slot = self
            .projection_stuck
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if *slot != stuck {
            match &stuck {
                Some(s) => tracing::error!(position = s.position, reason = %s.reason, "{s}"),
                None if slot.is_some() => tracing::info!("the project list runs again"),
                None => {}
            }
            *slot = stuck;
        }
    }

    /// Where the project-list runner stopped, if it did.
    pub fn projection_stuck(&self) -> Option<ProjectionStuck> {
        self.projection_stuck
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Folds a page and saves it as one step (a rebuild's page: any event
    /// that cannot be applied fails the rebuild).
    async fn apply_page(
        &self,
        events: &[StoredEvent],
        step: CheckpointStep,
    ) -> Result<Saved, AppError> {
        match self.fold_page(events).await? {
            Folded::All(rows) => self.save_rows(&rows, step, events.len()).await,
            Folded::Until { index, reason, .. } => Err(AppError::ProjectionStuck(format!(
                "event at position {} cannot be applied: {reason}",
                events[index].position
            ))),
        }
    }

    /// The project rows `events` fold into, on top of the saved rows; or
    /// the first event that cannot be applied and the rows of the events
    /// before it.
    async fn fold_page(&self, events: &[StoredEvent]) -> Result<Folded, AppError> {
        let mut ids: Vec<Uuid> = events.iter().map(|e| e.stream_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut saved: HashMap<Uuid, Option<Project>> = HashMap::with_capacity(ids.len());
        for row in self.projections.load_projects(&ids).await? {
            let project: Project = row.state.read().map_err(|e| {
                AppError::from(granttrail_store::StoreError::corrupt_row(
                    "project_list",
                    row.id.to_string(),
                    e.to_string(),
                ))
            })?;
            saved.insert(row.id, Some(project));
        }
        match fold(saved.clone(), events) {
            Ok(projects) => Ok(Folded::All(rows_of(projects)?)),
            Err((index, reason)) => {
                // Folding consumed the failed project's state; fold the
                // events before the bad one again (they apply).
                let projects =
                    fold(saved, &events[..index]).map_err(|(_, r)| AppError::corrupt(r))?;
                let rows = rows_of(projects)?;
                Ok(Folded::Until {
                    index,
                    rows,
                    reason,
                })
            }
        }
    }

    /// Saves folded rows and the checkpoint step that produced them.
    async fn save_rows(
        &self,
        rows: &[ProjectRow],
        step: CheckpointStep,
        events: usize,
    ) -> Result<Saved, AppError> {
        let saved = self
            .projections
            .save_projects(PROJECT_LIST, rows, step)
            .await?;
        if saved == Saved::Written {
            self.events_projected
                .fetch_add(events as u64, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(saved)
    }

    /// How many events this process has applied to the project list (in
    /// steps that were saved): summed over every process sharing a
    /// database, each event counts once.
    pub fn events_projected(&self) -> u64 {
        self.events_projected
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Forgets the projection and applies the whole log again, calling
    /// `progress(applied_position, last_position)` after each page.
    ///
    /// Pages are larger than in a catch-up (fewer commits), and the next
    /// page is read while the current one is applied and written, so
    /// reading and folding overlap on two cores.
    pub async fn rebuild_projections(
        &self,
        mut progress: impl FnMut(i64, i64),
    ) -> Result<i64, AppError> {
        let _one_at_a_time = self.projecting.lock().await;
        self.projections.reset(PROJECT_LIST).await?;
        let target = self.store.last_position().await?;
        let mut checkpoint = 0;
        let mut events = self.store.read_all(0, REBUILD_PAGE).await?;
        while let Some(last) = events.last() {
            let step = CheckpointStep {
                from: checkpoint,
                to: last.position,
            };
            let (saved, upcoming) = tokio::join!(
                self.apply_page(&events, step),
                self.store.read_all(step.to, REBUILD_PAGE)
            );
            (checkpoint, events) = match saved? {
                Saved::Written => (step.to, upcoming?),
                // A server sharing the database applied these first: go on
                // from where it got to.
                Saved::Overtaken => {
                    let moved = self.projections.checkpoint(PROJECT_LIST).await?;
                    (moved, self.store.read_all(moved, REBUILD_PAGE).await?)
                }
            };
            progress(checkpoint, target.max(checkpoint));
        }
        self.projected.send_replace(checkpoint);
        Ok(checkpoint)
    }

    /// How far the projection trails the log, in positions, asking the
    /// store (sees writes of every process sharing the database).
    pub async fn projection_lag(&self) -> Result<i64, AppError> {
        let head = self.store.last_position().await?;
        let checkpoint = self.projections.checkpoint(PROJECT_LIST).await?;
        Ok((head - checkpoint).max(0))
    }

    /// How many positions the project list trails the last commit this
    /// process saw; cheap enough for every readiness probe.
    pub fn projection_behind(&self) -> i64 {
        let committed = *self.store.subscribe().borrow();
        (committed - *self.projected.borrow()).max(0)
    }

    /// Keeps the projection caught up until `shutdown` resolves: wakes on
    /// every local commit, and at least once a second for writes made by
    /// other processes sharing the database.
    pub async fn run_projections(&self, shutdown: impl std::future::Future<Output = ()>) {
        let mut commits = self.store.subscribe();
        tokio::pin!(shutdown);
        loop {
            match self.catch_up_projections().await {
                Ok(_) => {}
                // Logged once, where it was found; retried quietly below.
                Err(AppError::ProjectionStuck(_)) => {}
                Err(error) => tracing::error!(%error, "projection catch-up failed; retrying"),
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = commits.changed() => {
                    // Let a burst of commits gather: one catch-up per
                    // burst instead of one per commit keeps projection
                    // writes from crowding the event writer.
                    tokio::time::sleep(CATCH_UP_PAUSE).await;
                }
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        }
    }

    /// A page of the project list. The list reflects every command
    /// acknowledged before the request: it catches the projection up
    /// first when it trails.
    pub async fn list_projects(
        &self,
        caller: &Caller,
        query: ProjectListQuery,
    ) -> Result<ProjectPage, AppError> {
        permits(caller, Action::ListProjects)?;
        let head = self.store.last_position().await?;
        if *self.projected.borrow() < head {
            match self.catch_up_projections().await {
                // The list serves what it holds, up to the event it cannot
                // apply; readiness and the metrics say where it stopped.
                Ok(_) | Err(AppError::ProjectionStuck(_)) => {}
                Err(other) => return Err(other),
            }
        }
        // An executor sees only its own organisation, whatever it asks.
        let executor = match (caller.org_id(), caller.role()) {
            (Some(own), granttrail_store::Role::Executor) => match &query.executor {
                Some(asked) if asked != own => {
                    return Ok(ProjectPage {
                        items: Vec::new(),
                        next_cursor: None,
                    });
                }
                _ => Some(own.to_owned()),
            },
            _ => query.executor.clone(),
        };
        let today = self.today();
        let filter = ProjectFilter {
            stage: query.stage.map(|s| s.as_str().to_owned()),
            executor,
            overdue_on: query.overdue.map(|o| (o, today)),
            search: query.search.clone(),
            signed_from: query.signed_from,
            signed_to: query.signed_to,
            flagged: query.flagged,
            after: query.cursor,
            limit: query.limit,
        };
        let rows = self.projections.list_projects(&filter).await?;
        let full_page = rows.len() == query.limit as usize;
        let items = rows
            .into_iter()
            .map(|row| {
                row.state
                    .read::<Project>()
                    .map(|project| ProjectView::new(row.id, project, today))
                    .map_err(|e| {
                        AppError::from(granttrail_store::StoreError::corrupt_row(
                            "project_list",
                            row.id.to_string(),
                            e.to_string(),
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if full_page {
            items.last().map(|v| v.id.to_string())
        } else {
            None
        };
        Ok(ProjectPage { items, next_cursor })
    }
}
