//! Every route, registered once: the same list builds the router and the
//! OpenAPI document, so the two cannot drift apart.

mod attachments;
mod commands;
mod document;
mod feed;
mod imports;
mod log;
mod ops;
mod reads;
mod reports;
mod tokens;
mod users;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::problem::Problem;
use document::ApiDoc;

fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(commands::sign_project, reads::list_projects))
        .routes(routes!(reads::get_project))
        .routes(routes!(reads::project_events))
        .routes(routes!(reports::audit_trail))
        .routes(routes!(reports::report))
        .routes(routes!(reports::verify))
        .routes(routes!(reports::export))
        .routes(routes!(reports::signing_key))
        .routes(routes!(feed::events))
        .routes(routes!(feed::stream))
        .routes(routes!(feed::audit_export))
        .routes(routes!(commands::extend_period))
        .routes(routes!(commands::record_midterm_evaluation))
        .routes(routes!(commands::record_correction))
        .routes(routes!(commands::release_tranche))
        .routes(routes!(commands::withdraw_attachment))
        .routes(routes!(attachments::upload))
        .routes(routes!(attachments::download))
        .routes(routes!(commands::submit_self_report))
        .routes(routes!(commands::review_self_report))
        .routes(routes!(commands::record_site_visit))
        .routes(routes!(commands::draft_evaluation))
        .routes(routes!(commands::finalize_evaluation))
        .routes(routes!(log::checkpoint))
        .routes(routes!(log::checkpoints))
        .routes(routes!(log::inclusion))
        .routes(routes!(log::consistency))
        .routes(routes!(tokens::create_token, tokens::list_tokens))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(users::add_user, users::list_users))
        .routes(routes!(users::disable_user))
        .routes(routes!(imports::import_historical))
        .routes(routes!(imports::history_template))
        .routes(routes!(ops::openapi_json))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
}

/// The OpenAPI 3.1 document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = api().into_openapi();
    document::complete(&mut document);
    document
}

/// The router with state applied, and problem+json for unknown routes and
/// methods.
pub(crate) fn all(state: ApiState) -> Router {
    let (router, _) = api().split_for_parts();
    router
        .merge(crate::reference::routes())
        .fallback(|| async { Problem::not_found() })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                http::StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this path does not accept that method",
            )
        })
        .with_state(state)
}
