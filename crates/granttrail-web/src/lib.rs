//! # granttrail-web: the web view
//!
//! Server-rendered pages for the people the product is for: auditors
//! replay a project's history at any point and check its proofs; staff
//! and executors record what happened from forms. Served by the same
//! binary as the API, under `/ui/`, with no build chain and nothing
//! fetched from elsewhere.
//!
//! ## Main pieces
//! - [`router`]: every page, with security headers on every answer.
//! - `session`: a bearer token is exchanged once (`POST /ui/login`) for a
//!   session cookie (`HttpOnly`, `SameSite=Strict`, `Secure` over TLS);
//!   every form carries the session's form token and must come from this
//!   site. The roles and organisation scoping are the app's, exactly as
//!   the API applies them.
//! - `i18n`: zh-CN and en, by `Accept-Language` or the switch.
//! - `pages`: the list (search, filters, live updates), a project (state
//!   at any point, timeline with field changes, forms), the report, the
//!   audit trail, verification and export.
//!
//! ## What this crate does not do
//! No SQL and no business rules: it calls `granttrail-app` as the API
//! does. The API keeps bearer tokens only.

mod assets;
mod forms;
mod i18n;
mod messages;
mod pages;
mod render;
mod session;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use granttrail_app::App;
use http::{HeaderValue, header};

pub use i18n::{Lang, MESSAGES};
pub use pages::exports::ExportJobs;

/// What the pages need.
#[derive(Clone)]
pub struct WebState {
    /// The use cases.
    pub app: App,
    /// How long a session lasts (never past its token's expiry).
    pub session_lifetime: chrono::Duration,
    /// Mark cookies `Secure` (the site is served over TLS).
    pub secure_cookies: bool,
    /// Exports of every project running or done on this server.
    pub exports: ExportJobs,
}

/// Only this origin's scripts and styles, no inline script, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

async fn secure_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A page with a policy of its own (the report, which styles itself
    // inline) keeps it.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Pages show what only the signed-in viewer may see: no shared caches.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Every page of the web view.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/ui", get(pages::home))
        .route("/ui/", get(pages::home))
        .route(
            "/ui/login",
            get(pages::login::form).post(pages::login::sign_in),
        )
        .route("/ui/logout", post(pages::login::sign_out))
        .route("/ui/language/{tag}", get(pages::login::language))
        .route("/ui/assets/{name}", get(assets::serve))
        .route(
            "/ui/projects",
            get(pages::projects::list).post(pages::forms::sign),
        )
        .route("/ui/projects/new", get(pages::forms::sign_form))
        .route("/ui/live", get(pages::projects::live))
        .route(
            "/ui/exports",
            get(pages::exports::page).post(pages::exports::start),
        )
        .route("/ui/exports/{job}", get(pages::exports::progress))
        .route("/ui/exports/{job}/download", get(pages::exports::download))
        .route("/ui/projects/{id}", get(pages::project::show))
        .route(
            "/ui/projects/{id}/commands/{kind}",
            post(pages::forms::command),
        )
        .route(
            "/ui/projects/{id}/attachments",
            // The upload stops itself at attachment_max_bytes, as it streams.
            post(pages::evidence::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/ui/projects/{id}/attachments/{sha256}",
            get(pages::evidence::download),
        )
        .route("/ui/projects/{id}/report", get(pages::outputs::report))
        .route(
            "/ui/projects/{id}/report/{format}",
            get(pages::outputs::report_download),
        )
        .route("/ui/projects/{id}/audit", get(pages::outputs::audit))
        .route(
            "/ui/projects/{id}/audit/csv",
            get(pages::outputs::audit_csv),
        )
        .route(
            "/ui/projects/{id}/verification",
            get(pages::outputs::verification),
        )
        .route("/ui/projects/{id}/export", get(pages::outputs::export))
        .layer(axum::middleware::from_fn(secure_headers))
        .with_state(state)
}
