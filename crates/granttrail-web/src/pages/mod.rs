//! The pages.

pub(crate) mod evidence;
pub(crate) mod exports;
pub(crate) mod forms;
pub(crate) mod login;
pub(crate) mod outputs;
pub(crate) mod project;
pub(crate) mod projects;

use axum::response::{IntoResponse, Redirect, Response};
use granttrail_app::AppError;
use http::StatusCode;
use minijinja::context;

use crate::i18n::Lang;
use crate::render;
use crate::session::Viewer;

/// `/`: the project list (which sends a stranger to sign in).
pub(crate) async fn home() -> Response {
    Redirect::to("/ui/projects").into_response()
}

/// The page for an app error, in the viewer's language, with the status
/// the API would answer. Internal text never reaches the page.
pub(crate) fn error_page(lang: Lang, viewer: Option<&Viewer>, error: &AppError) -> Response {
    let (status, key) = match error {
        AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "session_over"),
        AppError::ReportNotReady => (StatusCode::CONFLICT, "report_not_ready"),
        AppError::BadParameter { .. } => (StatusCode::BAD_REQUEST, "fix_fields"),
        AppError::RenderFailed { .. } | AppError::Internal(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "unavailable")
        }
        _ => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    let detail = match error {
        AppError::BadParameter { parameter, message } => format!("{parameter}: {message}"),
        _ => lang.text(key).to_owned(),
    };
    let base = render::base(lang, viewer, "/ui/projects", lang.text("error_title"));
    render::page(
        status,
        "error.html",
        base,
        context! { detail => detail, signed_out => matches!(error, AppError::Unauthenticated) },
    )
}

/// The current address with its query, for links that come back here.
pub(crate) fn here(uri: &http::Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned())
}
