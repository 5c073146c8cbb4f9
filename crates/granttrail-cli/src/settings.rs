//! Typed, layered configuration: defaults < config/default.toml <
//! `--config FILE` < `GRANTTRAIL_*` environment < flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Every setting; `config/default.toml` documents each. `Debug` shows the
/// database URL without its password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Database URL.
    pub database: String,
    /// HTTP listen address.
    pub listen: String,
    /// Log filter.
    pub log: String,
    /// `text` or `json`.
    pub log_format: String,
    /// Readiness threshold for projection lag, in events.
    pub projection_max_lag: i64,
    /// Grace period for in-flight requests on shutdown.
    pub shutdown_grace_seconds: u64,
    /// The Ed25519 key that signs export bundles (hex seed), created with
    /// owner-only permissions on first use.
    pub signing_key_file: String,
    /// Seconds between heartbeat comments on an idle live feed (SSE).
    pub sse_heartbeat_seconds: u64,
    /// Seconds between a live feed's checks that its token still
    /// authenticates (revoked or expired tokens' feeds end).
    pub sse_token_recheck_seconds: u64,
    /// Seconds an authenticated token is trusted before the store is
    /// asked again (a revocation by another process takes effect within
    /// it); 0 asks every time.
    pub token_cache_seconds: u64,
    /// The four-eyes rules: a draft is finalized, a self-report returned
    /// and a finalized report corrected by someone other than the person
    /// whose work it judges.
    pub four_eyes: bool,
    /// The most bytes one attachment may have.
    pub attachment_max_bytes: u64,
    /// Hours a web-view session lasts after sign-in (never past its
    /// token's own expiry).
    pub session_hours: u64,
    /// Mark the web view's cookies `Secure`: set it when the site is
    /// served over TLS (a proxy's `X-Forwarded-Proto: https` also does).
    pub session_cookie_secure: bool,
    /// Seconds a client may take to send a request's headers (and a
    /// keep-alive connection may wait for its next request).
    pub header_read_timeout_seconds: u64,
    /// Seconds a connection may stay silent before it is closed.
    pub idle_timeout_seconds: u64,
    /// Connections open at once, at most.
    pub max_connections: usize,
    /// The transparency log's name in every checkpoint it signs.
    pub log_origin: String,
    /// Seconds between checkpoints while the log grows.
    pub checkpoint_interval_seconds: u64,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database", &crate::wiring::redact(&self.database))
            .field("listen", &self.listen)
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("projection_max_lag", &self.projection_max_lag)
            .field("shutdown_grace_seconds", &self.shutdown_grace_seconds)
            .field("signing_key_file", &self.signing_key_file)
            .field("sse_heartbeat_seconds", &self.sse_heartbeat_seconds)
            .field("sse_token_recheck_seconds", &self.sse_token_recheck_seconds)
            .field("token_cache_seconds", &self.token_cache_seconds)
            .field("session_hours", &self.session_hours)
            .field("session_cookie_secure", &self.session_cookie_secure)
            .field("four_eyes", &self.four_eyes)
            .field("attachment_max_bytes", &self.attachment_max_bytes)
            .field(
                "header_read_timeout_seconds",
                &self.header_read_timeout_seconds,
            )
            .field("idle_timeout_seconds", &self.idle_timeout_seconds)
            .field("max_connections", &self.max_connections)
            .field("log_origin", &self.log_origin)
            .field(
                "checkpoint_interval_seconds",
                &self.checkpoint_interval_seconds,
            )
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database: "sqlite://data/granttrail.db".into(),
            listen: "127.0.0.1:8080".into(),
            log: "info".into(),
            log_format: "text".into(),
            projection_max_lag: 1000,
            shutdown_grace_seconds: 30,
            signing_key_file: String::new(),
            sse_heartbeat_seconds: 15,
            sse_token_recheck_seconds: 5,
            token_cache_seconds: 2,
            four_eyes: true,
            attachment_max_bytes: 20 * 1024 * 1024,
            session_hours: 8,
            session_cookie_secure: false,
            header_read_timeout_seconds: 10,
            idle_timeout_seconds: 60,
            max_connections: 1024,
            log_origin: granttrail_app::DEFAULT_LOG_ORIGIN.into(),
            checkpoint_interval_seconds: 60,
        }
    }
}

/// Values given as flags, which override everything else.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

/// Reads the layers. Reading has no side effects: nothing is created.
pub fn load(config_file: Option<&Path>, flags: &FlagOverrides) -> Result<Settings, String> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    let default_file = PathBuf::from("config/default.toml");
    if default_file.exists() {
        figment = figment.merge(Toml::file(default_file));
    }
    if let Some(file) = config_file {
        if !file.exists() {
            return Err(format!(
                "the configuration file {} does not exist",
                file.display()
            ));
        }
        figment = figment.merge(Toml::file(file));
    }
    figment
        // Only our settings: other GRANTTRAIL_* variables (test URLs, say)
        // are not configuration.
        .merge(Env::prefixed("GRANTTRAIL_").only(&[
            "database",
            "listen",
            "log",
            "log_format",
            "projection_max_lag",
            "shutdown_grace_seconds",
            "signing_key_file",
            "sse_heartbeat_seconds",
            "sse_token_recheck_seconds",
            "token_cache_seconds",
            "four_eyes",
            "attachment_max_bytes",
            "session_hours",
            "session_cookie_secure",
            "header_read_timeout_seconds",
            "idle_timeout_seconds",
            "max_connections",
            "log_origin",
            "checkpoint_interval_seconds",
        ]))
        .merge(Serialized::defaults(flags))
        .extract()
        .map_err(|e| format!("configuration: {e}"))
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_database_password() {
        let settings = Settings {
            database: "postgres://granttrail:s3cret@db.example/granttrail".into(),
            ..Settings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("granttrail:***@db.example"), "{shown}");
    }
}
