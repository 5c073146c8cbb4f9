//! The ceiling for the HTTP load benchmark: the same axum and tokio as
//! granttrail, answering a constant body with no work at all. Run beside
//! `granttrail serve` by `tests/load/http.sh`.
//!
//! Usage: `trivial_server [ADDR]` (default 127.0.0.1:0); prints
//! `listening on http://ADDR` on stderr.

use axum::Router;
use axum::routing::{get, post};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    let app = Router::new().route("/", get(|| async { "ok" })).route(
        "/",
        post(|body: String| async move { body.len().to_string() }),
    );
    axum::serve(listener, app).await
}
