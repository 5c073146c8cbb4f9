//! Attachments over HTTP: an upload streamed to disk (hashed, counted and
//! sniffed as it arrives, never held whole in memory), and a download
//! checked against its hash.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use granttrail_app::permissions::{Action, permits};
use granttrail_app::{StagedUpload, UploadFacts};
use granttrail_domain::{BusinessDate, CommandKind, Evidence};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ApiState;
use crate::extract::{Authenticated, Preconditions, StrictQuery, parse_id};
use crate::problem::{ApiResult, Problem};

/// The media types an attachment may have, as its content shows them.
const ALLOWED: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
];

/// How many leading bytes are kept for sniffing.
const SNIFF: usize = 8192;

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
    let mut value = serde_json::Map::new();
    value.insert("of".into(), query.of.as_deref().unwrap_or("project").into());
    for (key, given) in [
        ("stage", &query.stage),
        ("indicator", &query.indicator),
        ("check", &query.check),
    ] {
        if let Some(given) = given {
            value.insert(key.into(), given.clone().into());
        }
    }
    serde_json::from_value(serde_json::Value::Object(value)).map_err(|e| {
        Problem::bad_parameter(
            "of",
            format!("what the file evidences is not clear: {e} (of=project|stage&stage=…|indicator&indicator=…|finance_check&check=vouchers|budget|compliance)"),
        )
    })
}

/// The media type `prefix` shows, if it is one attachments may have:
/// sniffed from the content, never taken from a header.
fn sniffed(prefix: &[u8]) -> Option<&'static str> {
    match infer::get(prefix) {
        Some(kind) => ALLOWED.iter().copied().find(|t| *t == kind.mime_type()),
        None => {
            // Text: UTF-8 (a character cut at the end of the prefix is
            // fine) without NUL.
            let text = match std::str::from_utf8(prefix) {
                Ok(_) => true,
                Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > prefix.len(),
            };
            (text && !prefix.contains(&0) && !prefix.is_empty()).then_some("text/plain")
        }
    }
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
    let limit = state.app.attachment_limit();
    let dir = state.app.upload_staging().await?;
    let path = dir.join(Uuid::now_v7().to_string());
    let staged = stream_to(&path, body, limit).await;
    let (sha256, size, prefix) = match staged {
        Ok(staged) => staged,
        Err(problem) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(problem);
        }
    };
    let Some(media_type) = sniffed(&prefix) else {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!(
                "the content is none of the types evidence may have ({}); the Content-Type header is not trusted",
                ALLOWED.join(", ")
            ),
        ));
    };
    let fingerprint = serde_json::json!({"sha256": sha256, "name": name, "evidences": evidences});
    let route = format!("/api/v1/projects/{project_id}/attachments");
    let response = state
        .app
        .attach(
            &caller,
            project_id,
            preconditions.if_match,
            preconditions.idempotency(&route, &fingerprint),
            StagedUpload {
                path,
                sha256,
                size,
                media_type: media_type.to_owned(),
            },
            UploadFacts {
                name,
                evidences,
                added_on,
            },
        )
        .await?;
    Ok(super::commands::command_response(response))
}

/// Streams `body` into a new file at `path`: its SHA-256, its size and its
/// first bytes. Past `limit` bytes it stops with 413.
///
/// One blocking thread writes the file with plain `std::fs`, fed chunk by
/// chunk through a channel of a few chunks: the upload's memory is those
/// chunks, whatever its size (tokio's `File` would copy each chunk into
/// buffers of its own on whichever blocking thread is free).
async fn stream_to(
    path: &std::path::Path,
    body: Body,
    limit: u64,
) -> Result<(String, u64, Vec<u8>), Problem> {
    let failed = |e: std::io::Error| {
        Problem::from(granttrail_app::AppError::internal(format!(
            "staging an upload: {e}"
        )))
    };
    let file = std::fs::File::create(path).map_err(failed)?;
    let (chunks, mut incoming) = tokio::sync::mpsc::channel::<axum::body::Bytes>(4);
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        let mut file = std::io::BufWriter::with_capacity(256 * 1024, file);
        while let Some(chunk) = incoming.blocking_recv() {
            file.write_all(&chunk)?;
        }
        file.flush()
    });
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut prefix = Vec::with_capacity(SNIFF);
    let mut stream = body.into_data_stream();
    let mut outcome = Ok(());
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                outcome = Err(Problem::bad_parameter(
                    "body",
                    format!("the upload broke off: {e}"),
                ));
                break;
            }
        };
        size += chunk.len() as u64;
        if size > limit {
            outcome = Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Too large",
                format!("an attachment may have at most {limit} bytes"),
            ));
            break;
        }
        if prefix.len() < SNIFF {
            let take = (SNIFF - prefix.len()).min(chunk.len());
            prefix.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        if chunks.send(chunk).await.is_err() {
            // The writer stopped: its error is reported below.
            break;
        }
    }
    drop(chunks);
    let written = writer
        .await
        .map_err(|e| failed(std::io::Error::other(e.to_string())))?;
    outcome?;
    written.map_err(failed)?;
    Ok((hex::encode(hasher.finalize()), size, prefix))
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
    // RFC 6266: an ASCII fallback, and the UTF-8 name percent-encoded.
    let fallback: String = attachment
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = attachment
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(disposition) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    if let Ok(digest) = HeaderValue::from_str(&attachment.sha256) {
        headers.insert("x-content-sha256", digest);
    }
    Ok(response)
}
