//! The audit trail and the closing-evaluation report.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use granttrail_app::SigningKeyInfo;
use granttrail_projections::{AuditRow, Lang, Report, audit_csv};
use granttrail_store::chain::ChainReport;
use http::{HeaderValue, header};
use serde::Deserialize;

use crate::ApiState;
use crate::extract::{Authenticated, StrictQuery, parse_id};
use crate::problem::{ApiResult, Problem};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FormatQuery {
    format: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportQuery {
    format: Option<String>,
    lang: Option<String>,
    version: Option<u64>,
}

/// What `format` the audit trail comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub(super) enum AuditFormat {
    /// JSON rows (the default).
    Json,
    /// CSV, UTF-8 with a BOM, for spreadsheets.
    Csv,
}

/// What `format` the report comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub(super) enum ReportFormat {
    /// Markdown (the default).
    Markdown,
    /// A self-contained, printable HTML page.
    Html,
    /// The report's data as JSON.
    Json,
}

/// Reads a `format` parameter: one of `choices` by its name, the first
/// when absent.
fn format_of<T: Copy>(raw: Option<&str>, choices: &[(&str, T)]) -> Result<T, Problem> {
    let Some(raw) = raw else {
        return Ok(choices[0].1);
    };
    choices
        .iter()
        .find(|(name, _)| *name == raw)
        .map(|(_, format)| *format)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            Problem::bad_parameter("format", format!("'{raw}' is not {}", names.join(" or ")))
        })
}

fn with_type(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// One row per event: who, when, what, every field changed, the hash.
#[utoipa::path(get, path = "/api/v1/projects/{id}/audit-trail", tag = "reads",
    params(("id" = String, Path, description = "project id"),
           ("format" = Option<AuditFormat>, Query, description = "json (default) or csv (UTF-8 with BOM)")),
    responses((status = 200, description = "one row per event",
               content((Vec<AuditRow> = "application/json"), (String = "text/csv; charset=utf-8"))),
              (status = 400, description = "bad-parameter"),
              (status = 404, description = "not-found")),
    security(("bearer" = [])))]
pub(super) async fn audit_trail(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    StrictQuery(query): StrictQuery<FormatQuery>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    if query.lang.is_some() {
        return Err(Problem::bad_parameter(
            "lang",
            "the audit trail has no lang parameter",
        ));
    }
    let format = format_of(
        query.format.as_deref(),
        &[("json", AuditFormat::Json), ("csv", AuditFormat::Csv)],
    )?;
    let rows = state.app.audit_trail(&caller, id).await?;
    match format {
        AuditFormat::Json => Ok(Json(rows).into_response()),
        AuditFormat::Csv => {
            let text = audit_csv(&rows, true)
                .map_err(|e| granttrail_app::AppError::render_failed("audit CSV", e))?;
            Ok(with_type(text, "text/csv; charset=utf-8"))
        }
    }
}

/// The closing-evaluation report (结项评估报告).
#[utoipa::path(get, path = "/api/v1/projects/{id}/report", tag = "reads",
    params(("id" = String, Path, description = "project id"),
           ("lang" = Option<Lang>, Query, description = "zh-CN (default) or en"),
           ("format" = Option<ReportFormat>, Query, description = "markdown (default), html or json"),
           ("version" = Option<u64>, Query, description = "the report as it stood at this stream version (the draft that was read then)")),
    responses((status = 200, description = "the report; marked as a draft until finalized",
               content((String = "text/markdown; charset=utf-8"), (String = "text/html; charset=utf-8"), (Report = "application/json"))),
              (status = 400, description = "bad-parameter"),
              (status = 404, description = "not-found"),
              (status = 409, description = "report-not-ready: no draft yet")),
    security(("bearer" = [])))]
pub(super) async fn report(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    StrictQuery(query): StrictQuery<ReportQuery>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let lang = match query.lang.as_deref() {
        None => Lang::ZhCn,
        Some(tag) => Lang::parse(tag)
            .ok_or_else(|| Problem::bad_parameter("lang", format!("'{tag}' is not zh-CN or en")))?,
    };
    let format = format_of(
        query.format.as_deref(),
        &[
            ("markdown", ReportFormat::Markdown),
            ("html", ReportFormat::Html),
            ("json", ReportFormat::Json),
        ],
    )?;
    let report = state.app.report(&caller, id, lang, query.version).await?;
    let rendered = match format {
        ReportFormat::Html => report
            .to_html()
            .map(|t| with_type(t, "text/html; charset=utf-8")),
        ReportFormat::Json => report.to_json().map(|t| with_type(t, "application/json")),
        ReportFormat::Markdown => report
            .to_markdown()
            .map(|t| with_type(t, "text/markdown; charset=utf-8")),
    };
    rendered.map_err(|e| granttrail_app::AppError::render_failed("report", e).into())
}

/// Recomputes the project's hash chain.
#[utoipa::path(get, path = "/api/v1/projects/{id}/verify", tag = "reads",
    params(("id" = String, Path, description = "project id")),
    responses((status = 200, description = "the chain recomputed", body = ChainReport, content_type = "application/json"),
              (status = 404, description = "not-found")),
    security(("bearer" = [])))]
pub(super) async fn verify(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    Ok(Json(state.app.verify(&caller, id).await?).into_response())
}

/// A signed compliance bundle (zip) of the project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/export", tag = "reads",
    params(("id" = String, Path, description = "project id")),
    responses((status = 200, description = "manifest.json, manifest.sig, events.jsonl, audit-trail.csv, state.json, reports",
               content((Vec<u8> = "application/zip"))),
              (status = 404, description = "not-found")),
    security(("bearer" = [])))]
pub(super) async fn export(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let bytes = state.app.export(&caller, id).await?;
    let mut response = with_type(bytes, "application/zip");
    if let Ok(disposition) =
        HeaderValue::from_str(&format!("attachment; filename=\"granttrail-{id}.zip\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// The public key that signs export bundles (Ed25519).
#[utoipa::path(get, path = "/api/v1/signing-key", tag = "reads",
    responses((status = 200, description = "the keys an auditor pins", body = SigningKeyInfo, content_type = "application/json")),
    security(("bearer" = [])))]
pub(super) async fn signing_key(
    State(state): State<ApiState>,
    Authenticated(_): Authenticated,
) -> ApiResult<Response> {
    Ok(Json(state.app.signing_key_info()?).into_response())
}
