//! Importing a paper past, for admins only.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use granttrail_app::ImportReport;
use granttrail_app::permissions::{Action, permits};
use http::{StatusCode, header};
use serde::Deserialize;

use crate::ApiState;
use crate::extract::{Authenticated, StrictQuery};
use crate::problem::{ApiResult, Problem};

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
/// file, or a bulk history sheet as CSV or XLSX): rules a live command
/// would be refused for become data-quality flags on the imported record.
#[utoipa::path(post, path = "/api/v1/imports/historical", tag = "imports",
    params(("dry_run" = Option<bool>, Query, description = "report every flag, write nothing"),
           ("file_name" = Option<String>, Query, description = "the file's name, recorded with its hash")),
    request_body(content = String, content_type = "application/json", description = "a granttrail-history/1 file, or a bulk history sheet (text/csv, or an XLSX workbook), told apart by their content"),
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TemplateQuery {
    /// `csv` (the default) or `xlsx`.
    #[serde(default)]
    format: Option<String>,
}

/// The bulk history sheet's template: one row per recorded fact, the
/// source report's project as the example rows.
#[utoipa::path(get, path = "/api/v1/imports/historical/template", tag = "imports",
    params(("format" = Option<String>, Query, description = "csv (default) or xlsx")),
    responses((status = 200, description = "the template, as an attachment", content_type = "text/csv"),
              (status = 400, description = "bad-parameter: a format other than csv or xlsx"),
              (status = 403, description = "forbidden: admins only")),
    security(("bearer" = [])))]
pub(super) async fn history_template(
    Authenticated(caller): Authenticated,
    StrictQuery(query): StrictQuery<TemplateQuery>,
) -> ApiResult<Response> {
    permits(&caller, Action::ImportHistory)?;
    let (bytes, media, name) = match query.format.as_deref().unwrap_or("csv") {
        "csv" => (
            granttrail_history_sheet::template_csv(),
            "text/csv; charset=utf-8",
            "history-template.csv",
        ),
        "xlsx" => (
            granttrail_history_sheet::template_xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "history-template.xlsx",
        ),
        other => {
            return Err(Problem::bad_parameter(
                "format",
                format!("'{other}' is neither csv nor xlsx"),
            ));
        }
    };
    let bytes =
        bytes.map_err(|e| Problem::from(granttrail_app::AppError::internal(e.to_string())))?;
    Ok((
        [
            (header::CONTENT_TYPE, media.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
