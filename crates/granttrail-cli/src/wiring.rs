//! Choosing the backend and setting up telemetry, once.

use std::io::IsTerminal;
use std::sync::Arc;

use granttrail_api::metrics::{MeteredStore, Metrics};
use granttrail_app::App;
use granttrail_store::EventStore;
use granttrail_store_sqlite::SqliteStore;
use tracing_subscriber::EnvFilter;

use crate::settings::Settings;

/// Logs to stderr, filtered and formatted as configured.
pub fn init_telemetry(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if settings.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The app over the configured database, with its store metered.
pub async fn open(settings: &Settings, metrics: Arc<Metrics>) -> Result<App, String> {
    let url = settings.database.as_str();
    if url.starts_with("sqlite:") {
        let store = SqliteStore::open(url)
            .await
            .map_err(|e| format!("cannot open {url}: {e}"))?;
        let events: Arc<dyn EventStore> =
            Arc::new(MeteredStore::new(Arc::new(store.clone()), metrics));
        Ok(App::new(events, Arc::new(store.clone()), Arc::new(store)))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Err("the PostgreSQL backend is not built yet; use sqlite://PATH".into())
    } else {
        Err(format!(
            "'{url}' is not a database URL this build knows (sqlite://PATH)"
        ))
    }
}
