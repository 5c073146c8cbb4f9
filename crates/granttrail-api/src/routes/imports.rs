//! Importing a paper past, for admins only.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use granttrail_app::ImportReport;
use granttrail_app::permissions::{Action, permits};
use http::StatusCode;
use serde::Deserialize;

use crate::ApiState;
use crate::extract::{Authenticated, StrictQuery};
use crate::problem::ApiResult;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportQuery {
    /// Report every flag and write nothing.
    #[serde(default)]
    dry_run: bool,
    /// The file's name, recorded with its hash.
    #[serde(default)]
    file_name: Option<String>,
}

/// Import projects' past as recorded facts (a `granttrail-history/1`
/// file): rules a live command would be refused for become data-quality
/// flags on the imported record.
#[utoipa::path(post, path = "/api/v1/imports/historical", tag = "imports",
    params(("dry_run" = Option<bool>, Query, description = "report every flag, write nothing"),
           ("file_name" = Option<String>, Query, description = "the file's name, recorded with its hash")),
    request_body(content = String, content_type = "application/json", description = "a granttrail-history/1 file"),
    responses((status = 200, description = "a dry run's report: nothing written", body = ImportReport, content_type = "application/json"),
              (status = 201, description = "imported; each project's id", body = ImportReport, content_type = "application/json"),
              (status = 400, description = "bad-parameter"),
              (status = 403, description = "forbidden: admins only"),
              (status = 409, description = "duplicate-code: a project's code is taken"),
              (status = 422, description = "import-refused: a fact that cannot be folded, or not a history file; nothing written")),
    security(("bearer" = [])))]
pub(super) async fn import_historical(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    StrictQuery(query): StrictQuery<ImportQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    permits(&caller, Action::ImportHistory)?;
    let name = query.file_name.as_deref().unwrap_or("upload.json");
    let report = state
        .app
        .import_history(&caller, &body, name, query.dry_run)
        .await?;
    let status = if query.dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(report)).into_response())
}
