//! # granttrail-api: the HTTP edge
//!
//! An axum router implementing the HTTP contract (docs/api.md and the
//! OpenAPI document it serves): the seven command
//! routes, project reads (with time travel), events, tokens, health,
//! readiness, Prometheus metrics and a generated OpenAPI 3.1 document.
//!
//! ## Main pieces
//! - [`router`]: every route, with request ids, tracing, metrics and the
//!   body limit layered on.
//! - [`problem`]: the one place errors become RFC 9457 problem+json. Every
//!   layer's error enum is mapped here, once; clients never see internal
//!   error text.
//! - `extract`: bearer authentication, strict JSON bodies with JSON
//!   Pointers for bad fields, `If-Match` and `Idempotency-Key`.
//! - [`metrics`]: request counts and latency by matched route, events
//!   appended and store commit latency ([`metrics::MeteredStore`]).
//!
//! ## What this crate does not do
//! No SQL and no business rules: it calls `granttrail-app` and maps the
//! answers to HTTP.

mod bodies;
mod extract;
mod idle;
pub mod metrics;
mod parse_errors;
pub mod problem;
mod reference;
mod routes;
mod serve;
mod strict_json;
mod value_reader;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use granttrail_app::App;
use http::HeaderName;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use routes::openapi;
pub use serve::{ConnectionLimits, serve};

/// Requests bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The header carrying the request id, set when the client sent none.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Everything a handler needs.
#[derive(Clone)]
pub struct ApiState {
    /// The use cases (shared: the state is cloned for every request, and
    /// an `App` is a score of handles).
    pub app: Arc<App>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Readiness beyond "the database answers" (projections caught up);
    /// returns a reason when not ready.
    pub readiness: Arc<dyn Fn() -> Option<String> + Send + Sync>,
    /// How often an idle live feed (SSE) sends a comment, so proxies and
    /// clients can tell a quiet feed from a dead connection.
    pub heartbeat: std::time::Duration,
    /// How often a live feed asks again whether its token still
    /// authenticates; a revoked or expired token's feed ends.
    pub token_recheck: std::time::Duration,
}

impl ApiState {
    /// State with no readiness condition but the database.
    pub fn new(app: App, metrics: Arc<metrics::Metrics>) -> ApiState {
        ApiState {
            app: Arc::new(app),
            metrics,
            readiness: Arc::new(|| None),
            heartbeat: std::time::Duration::from_secs(15),
            token_recheck: std::time::Duration::from_secs(5),
        }
    }
}

/// The longest `X-Request-Id` a client may choose; it goes into every log
/// line of the request.
pub const MAX_REQUEST_ID: usize = 128;

/// Removes a client's `X-Request-Id` that is empty, longer than
/// [`MAX_REQUEST_ID`] or not visible ASCII, so that a new one is made
/// instead of a 400 KB id being echoed into the logs.
async fn drop_unfit_request_id(mut request: Request) -> Request {
    let fit = request.headers().get(&REQUEST_ID).map(|id| {
        let bytes = id.as_bytes();
        !bytes.is_empty() && bytes.len() <= MAX_REQUEST_ID && bytes.iter().all(u8::is_ascii_graphic)
    });
    if fit == Some(false) {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

/// Logs every 401 and 403 (who was refused what), inside the request's
/// span, which names the route, the request id and, when the token was
/// recognised, its id; never the secret.
async fn audit_refusals(
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    let status = response.status();
    if status == http::StatusCode::UNAUTHORIZED || status == http::StatusCode::FORBIDDEN {
        tracing::warn!(target: "granttrail::audit", status = status.as_u16(), "request refused");
    }
    response
}

/// The whole HTTP API.
pub fn router(state: ApiState) -> Router {
    let metrics = state.metrics.clone();
    routes::all(state)
        // Bodies are bounded by the bytes read, however they arrive
        // (Content-Length or chunked): JsonBody answers 413 past this.
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::record,
        ))
        .layer(axum::middleware::from_fn(audit_refusals))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str)
                    .to_owned();
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_owned();
                // token_id is filled in once the bearer token is known.
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    route,
                    request_id,
                    token_id = tracing::field::Empty
                )
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unfit_request_id))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
}
