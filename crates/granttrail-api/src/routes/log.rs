//! The transparency log: signed checkpoints and the proofs an auditor
//! checks them with. Every authenticated role may read them; an executor
//! gets inclusion proofs of its own organisation's events only.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use granttrail_app::InclusionProof;
use http::{HeaderValue, header};
use serde::Deserialize;

use crate::ApiState;
use crate::bodies::{CheckpointPage, CheckpointSummary, ConsistencyProof};
use crate::extract::{Authenticated, StrictQuery};
use crate::problem::{ApiResult, Problem};

fn number(raw: Option<&str>, name: &str) -> Result<Option<u64>, Problem> {
    raw.map(|text| {
        text.parse::<u64>()
            .map_err(|_| Problem::bad_parameter(name, format!("'{text}' is not a whole number")))
    })
    .transpose()
}

/// The newest signed checkpoint, as the C2SP signed note itself.
#[utoipa::path(get, path = "/api/v1/log/checkpoint", tag = "log",
    responses((status = 200, description = "a C2SP tlog-checkpoint signed note", content((String = "text/plain; charset=utf-8"))),
              (status = 404, description = "no checkpoint signed yet")),
    security(("bearer" = [])))]
pub(super) async fn checkpoint(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Response> {
    let latest = state
        .app
        .latest_checkpoint(&caller)
        .await?
        .ok_or_else(Problem::not_found)?;
    let mut response = latest.note.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HistoryQuery {
    after: Option<String>,
    limit: Option<String>,
}

/// Every checkpoint signed, oldest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/log/checkpoints", tag = "log",
    params(("after" = Option<u64>, Query, description = "only checkpoints of larger trees"),
           ("limit" = Option<u32>, Query, description = "1 to 1000 (100)")),
    responses((status = 200, description = "checkpoints, oldest first", body = CheckpointPage, content_type = "application/json"),
              (status = 400, description = "bad-parameter")),
    security(("bearer" = [])))]
pub(super) async fn checkpoints(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    StrictQuery(query): StrictQuery<HistoryQuery>,
) -> ApiResult<Response> {
    let after = number(query.after.as_deref(), "after")?.unwrap_or(0);
    let limit = number(query.limit.as_deref(), "limit")?.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::bad_parameter("limit", "limit is 1 to 1000"));
    }
    let items = state
        .app
        .checkpoints(&caller, after, limit as u32)
        .await?
        .iter()
        .map(CheckpointSummary::from)
        .collect();
    Ok(Json(CheckpointPage { items }).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InclusionQuery {
    position: Option<String>,
    tree_size: Option<String>,
}

/// The inclusion proof of one event in a tree of the log.
#[utoipa::path(get, path = "/api/v1/log/inclusion", tag = "log",
    params(("position" = i64, Query, description = "the event's global position"),
           ("tree_size" = Option<u64>, Query, description = "the tree (the newest checkpoint's when absent)")),
    responses((status = 200, description = "the proof", body = InclusionProof, content_type = "application/json"),
              (status = 400, description = "bad-parameter, or the event is not in the log yet"),
              (status = 404, description = "no such event, or not the caller's")),
    security(("bearer" = [])))]
pub(super) async fn inclusion(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    StrictQuery(query): StrictQuery<InclusionQuery>,
) -> ApiResult<Response> {
    let position = number(query.position.as_deref(), "position")?
        .filter(|p| *p >= 1 && *p <= i64::MAX as u64)
        .ok_or_else(|| Problem::bad_parameter("position", "give the event's position (1, 2, …)"))?;
    let tree_size = number(query.tree_size.as_deref(), "tree_size")?;
    let proof = state
        .app
        .inclusion_proof(&caller, position as i64, tree_size)
        .await?;
    Ok(Json(proof).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConsistencyQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The consistency proof between two tree sizes of the log.
#[utoipa::path(get, path = "/api/v1/log/consistency", tag = "log",
    params(("from" = u64, Query, description = "the older tree size"),
           ("to" = u64, Query, description = "the newer tree size")),
    responses((status = 200, description = "the proof", body = ConsistencyProof, content_type = "application/json"),
              (status = 400, description = "bad-parameter")),
    security(("bearer" = [])))]
pub(super) async fn consistency(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    StrictQuery(query): StrictQuery<ConsistencyQuery>,
) -> ApiResult<Response> {
    let from = number(query.from.as_deref(), "from")?
        .ok_or_else(|| Problem::bad_parameter("from", "give the older tree size"))?;
    let to = number(query.to.as_deref(), "to")?
        .ok_or_else(|| Problem::bad_parameter("to", "give the newer tree size"))?;
    let proof = state.app.consistency_proof(&caller, from, to).await?;
    Ok(Json(ConsistencyProof { from, to, proof }).into_response())
}
