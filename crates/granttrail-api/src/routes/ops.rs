//! Health, readiness, metrics and the API's own description.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use serde_json::Value;

use crate::ApiState;
use crate::bodies::Status;
use crate::extract::Authenticated;
use crate::problem::{ApiResult, unavailable};

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive", body = Status, content_type = "application/json")))]
pub(super) async fn healthz() -> Response {
    Json(Status { status: "ok" }).into_response()
}

/// Readiness: the database answers and projections are caught up.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "ready", body = Status, content_type = "application/json"),
              (status = 503, description = "not ready, with the reason")))]
pub(super) async fn readyz(State(state): State<ApiState>) -> Response {
    if let Err(error) = state.app.store().ping().await {
        tracing::warn!(%error, "not ready: the store does not answer");
        return unavailable("the database does not answer").into_response();
    }
    if let Some(reason) = state.app.store().writes_stopped() {
        return unavailable(&format!("writes are stopped: {reason}")).into_response();
    }
    if let Err(error) = state.app.store().check_writable().await {
        tracing::warn!(%error, "not ready: the database cannot be written");
        return unavailable(&format!("the database cannot be written: {error}")).into_response();
    }
    match (state.readiness)() {
        None => Json(Status { status: "ready" }).into_response(),
        Some(reason) => unavailable(&reason).into_response(),
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text", content((String = "application/openmetrics-text; version=1.0.0; charset=utf-8")))))]
pub(super) async fn metrics(State(state): State<ApiState>) -> Response {
    let stuck_at = state.app.projection_stuck().map_or(0, |s| s.position);
    state.metrics.projection_stuck_at.set(stuck_at);
    match state.metrics.encode() {
        Ok(text) => {
            let mut response = (StatusCode::OK, text).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            response
        }
        Err(_) => unavailable("metrics could not be encoded").into_response(),
    }
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "this document", body = Object, content_type = "application/json")), security(("bearer" = [])))]
pub(super) async fn openapi_json(Authenticated(_): Authenticated) -> ApiResult<Response> {
    // Built once: the document is fixed for the life of the binary.
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let document =
        DOCUMENT.get_or_init(|| serde_json::to_value(super::openapi()).unwrap_or_default());
    Ok(Json(document).into_response())
}
