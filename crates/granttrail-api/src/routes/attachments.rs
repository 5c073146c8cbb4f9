//! Attachments over HTTP: an upload streamed to disk (hashed, counted and
//! sniffed as it arrives, never held whole in memory), and a download
//! checked against its hash.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use granttrail_app::permissions::{Action, permits};
use granttrail_app::{ATTACHMENT_MEDIA_TYPES, StagingError, UploadFacts};
use granttrail_domain::{BusinessDate, CommandKind, Evidence};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;

use crate::ApiState;
use crate::extract::{Authenticated, Preconditions, StrictQuery, parse_id};
use crate::problem::{ApiResult, Problem};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UploadQuery {
    /// The file's name (no path).
    name: Option<String>,
    /// `project`, `stage`, `indicator` or `finance_check`.
    of: Option<String>,
    /// With `of=stage`.
    stage: Option<String>,
    /// With `of=indicator`.
    indicator: Option<String>,
    /// With `of=finance_check`: `vouchers`, `budget` or `compliance`.
    check: Option<String>,
    /// The day it is attached (today if absent).
    added_on: Option<String>,
}

fn evidence_of(query: &UploadQuery) -> Result<Evidence, Problem> {
    granttrail_app::evidence_from(
        query.of.as_deref(),
        query.stage.as_deref(),
        query.indicator.as_deref(),
        query.check.as_deref(),
    )
    .map_err(|e| Problem::bad_parameter("of", e))
}

/// Attach a file as evidence: the raw body is the file.
#[utoipa::path(post, path = "/api/v1/projects/{id}/attachments", tag = "attachments",
    params(("id" = String, Path, description = "project id"),
           ("name" = String, Query, description = "the file's name, no path"),
           ("of" = Option<String>, Query, description = "project (default), stage, indicator or finance_check"),
           ("stage" = Option<String>, Query, description = "with of=stage"),
           ("indicator" = Option<String>, Query, description = "with of=indicator: the indicator's key"),
           ("check" = Option<String>, Query, description = "with of=finance_check: vouchers, budget or compliance"),
           ("added_on" = Option<String>, Query, description = "YYYY-MM-DD; today if absent"),
           ("If-Match" = String, Header, description = "the ETag you last saw")),
    request_body(content = String, content_type = "application/octet-stream", description = "the file's bytes"),
    responses((status = 200, description = "the new state, with its ETag", body = granttrail_projections::ProjectView, content_type = "application/json"),
              (status = 400, description = "bad-parameter"),
              (status = 403, description = "forbidden"),
              (status = 404, description = "not-found"),
              (status = 412, description = "version-conflict"),
              (status = 413, description = "too-large: over attachment_max_bytes"),
              (status = 415, description = "unsupported-media-type: the content is none of the allowed types"),
              (status = 422, description = "validation-failed: a name that is a path, an unknown indicator, a file attached already"),
              (status = 428, description = "precondition-required")),
    security(("bearer" = [])))]
pub(super) async fn upload(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    StrictQuery(query): StrictQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let project_id = parse_id(&id)?;
    // Who may not attach hears so before a byte is read.
    permits(&caller, Action::Command(CommandKind::Attach))?;
    let preconditions = Preconditions::from_headers(&headers)?;
    let name = query
        .name
        .clone()
        .ok_or_else(|| Problem::bad_parameter("name", "give the file's name (?name=…)"))?;
    let evidences = evidence_of(&query)?;
    let added_on = query
        .added_on
        .as_deref()
        .map(|d| BusinessDate::parse(d).map_err(|e| Problem::bad_parameter("added_on", e)))
        .transpose()?;
    let staged = state
        .app
        .stage_upload(body.into_data_stream())
        .await
        .map_err(problem_of)?;
    let fingerprint =
        serde_json::json!({"sha256": staged.sha256, "name": name, "evidences": evidences});
    let route = format!("/api/v1/projects/{project_id}/attachments");
    let response = state
        .app
        .attach(
            &caller,
            project_id,
            preconditions.if_match,
            preconditions.idempotency(&route, &fingerprint),
            staged,
            UploadFacts {
                name,
                evidences,
                added_on,
            },
        )
        .await?;
    Ok(super::commands::command_response(response))
}

/// Download an attachment, checked against its hash.
#[utoipa::path(get, path = "/api/v1/projects/{id}/attachments/{sha256}", tag = "attachments",
    params(("id" = String, Path, description = "project id"),
           ("sha256" = String, Path, description = "the attachment's SHA-256")),
    responses((status = 200, description = "the bytes, with Content-Disposition", content_type = "application/octet-stream"),
              (status = 404, description = "not-found"),
              (status = 503, description = "attachment-damaged: the bytes are missing or altered")),
    security(("bearer" = [])))]
pub(super) async fn download(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path((id, sha256)): Path<(String, String)>,
) -> ApiResult<Response> {
    let project_id = parse_id(&id)?;
    let (attachment, bytes) = state.app.attachment(&caller, project_id, &sha256).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(media) = HeaderValue::from_str(&attachment.media_type) {
        headers.insert(header::CONTENT_TYPE, media);
    }
    if let Ok(disposition) =
        HeaderValue::from_str(&granttrail_app::disposition_of(&attachment.name))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    if let Ok(digest) = HeaderValue::from_str(&attachment.sha256) {
        headers.insert("x-content-sha256", digest);
    }
    Ok(response)
}

/// The problem an upload that was not staged answers.
fn problem_of(error: StagingError) -> Problem {
    match error {
        StagingError::TooLarge { .. } => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Too large",
            error.to_string(),
        ),
        StagingError::UnsupportedMediaType => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!(
                "the content is none of the types evidence may have ({}); the Content-Type header is not trusted",
                ATTACHMENT_MEDIA_TYPES.join(", ")
            ),
        ),
        StagingError::BrokenOff(_) => Problem::bad_parameter("body", error.to_string()),
        StagingError::Failed(error) => Problem::from(error),
    }
}
