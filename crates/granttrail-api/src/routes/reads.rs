//! Project reads: the list, one project at any point, its events.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use granttrail_app::{ListParams, ProjectPage};
use granttrail_domain::{BusinessDate, Stage};
use granttrail_projections::{PointInTime, ProjectView};
use granttrail_store::StoredEvent;
use http::{HeaderValue, header};
use serde::Deserialize;

use crate::ApiState;
use crate::extract::{Authenticated, StrictQuery, parse_id};
use crate::problem::{ApiResult, Problem};

/// Query of `GET /api/v1/projects/{id}`: at most one point in time.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PointQuery {
    version: Option<String>,
    known_at: Option<String>,
    as_of: Option<String>,
}

impl PointQuery {
    fn point(&self) -> Result<PointInTime, Problem> {
        match (&self.version, &self.known_at, &self.as_of) {
            (None, None, None) => Ok(PointInTime::Latest),
            (Some(v), None, None) => v
                .parse::<u64>()
                .ok()
                .filter(|v| *v >= 1)
                .map(PointInTime::Version)
                .ok_or_else(|| {
                    Problem::bad_parameter(
                        "version",
                        format!("'{v}' is not a version (1, 2, 3, …)"),
                    )
                }),
            (None, Some(t), None) => DateTime::parse_from_rfc3339(t)
                .map(|t| PointInTime::KnownAt(t.with_timezone(&Utc)))
                .map_err(|_| {
                    Problem::bad_parameter(
                        "known_at",
                        format!("'{t}' is not an RFC 3339 instant such as 2023-02-14T09:00:00Z"),
                    )
                }),
            (None, None, Some(d)) => BusinessDate::parse(d)
                .map(PointInTime::AsOf)
                .map_err(|e| Problem::bad_parameter("as_of", e)),
            _ => Err(Problem::bad_parameter(
                "version",
                "give at most one of version, known_at and as_of",
            )),
        }
    }
}

/// A project's state: current, or at `version`, `known_at` or `as_of`.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "reads",
    params(("id" = String, Path, description = "project id"),
           ("version" = Option<u64>, Query, description = "state after this version"),
           ("known_at" = Option<String>, Query, description = "state as recorded at or before this RFC 3339 instant"),
           ("as_of" = Option<String>, Query, description = "state from events whose business date is on or before this date")),
    responses((status = 200, description = "the state, with ETag", body = ProjectView, content_type = "application/json"),
              (status = 400, description = "bad-parameter: more than one point, or a malformed one"),
              (status = 404, description = "not-found")),
    security(("bearer" = [])))]
pub(super) async fn get_project(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    StrictQuery(point): StrictQuery<PointQuery>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let point = point.point()?;
    let (etag, mut response) = if point == PointInTime::Latest {
        let current = state.app.current_state(&caller, id).await?;
        let body = axum::body::Body::from(current.json.as_bytes().to_vec());
        let mut response = body.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        (current.etag, response)
    } else {
        let view = state.app.project(&caller, id, point).await?;
        (view.etag(), Json(view).into_response())
    };
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// Every stored event of a project with its metadata and hashes, oldest
/// first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/events", tag = "reads",
    params(("id" = String, Path, description = "project id")),
    responses((status = 200, description = "every event, oldest first", body = Vec<StoredEvent>, content_type = "application/json"),
              (status = 404, description = "not-found")),
    security(("bearer" = [])))]
pub(super) async fn project_events(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    Ok(Json(state.app.events(&caller, id).await?).into_response())
}

/// Query of the project list.
/// Projects, filtered and paginated by a cursor that stays stable while
/// projects are added.
#[utoipa::path(get, path = "/api/v1/projects", tag = "reads",
    params(("q" = Option<String>, Query, description = "only projects whose code, title, executor (name or id) or a community contains this, without regard to case"),
           ("stage" = Option<Stage>, Query, description = "only projects in this stage"),
           ("executor" = Option<String>, Query, description = "only this executing organisation's projects"),
           ("overdue" = Option<bool>, Query, description = "only (or no) overdue projects"),
           ("signed_from" = Option<String>, Query, description = "only projects signed on or after this date (YYYY-MM-DD)"),
           ("signed_to" = Option<String>, Query, description = "only projects signed on or before this date (YYYY-MM-DD)"),
           ("flagged" = Option<bool>, Query, description = "only projects with (or without) unresolved data-quality flags from a historical import"),
           ("limit" = Option<u32>, Query, description = "page size, 1 to 500 (50)"),
           ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")),
    responses((status = 200, description = "one page, ordered by id", body = ProjectPage, content_type = "application/json"),
              (status = 400, description = "bad-parameter")),
    security(("bearer" = [])))]
pub(super) async fn list_projects(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    StrictQuery(query): StrictQuery<ListParams>,
) -> ApiResult<Response> {
    let query = query.parse()?;
    Ok(Json(state.app.list_projects(&caller, query).await?).into_response())
}
