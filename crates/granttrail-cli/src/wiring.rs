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

/// A database URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Whether a command may create the database it opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// Serving, importing, making a token: a new database is expected.
    CreateIfMissing,
    /// Commands that only read (or change what must already exist): a
    /// missing database is an error naming the URL tried.
    MustExist,
}

/// The database URL without its password, for messages.
pub fn shown(settings: &Settings) -> String {
    redact(&settings.database)
}

/// The app over the configured database, with its store metered.
pub async fn open(
    settings: &Settings,
    metrics: Arc<Metrics>,
    opening: Opening,
) -> Result<App, String> {
    let url = settings.database.as_str();
    if url.starts_with("sqlite:") {
        let opened = match opening {
            Opening::CreateIfMissing => SqliteStore::open(url).await,
            Opening::MustExist => SqliteStore::open_existing(url).await,
        };
        let store = opened.map_err(|e| format!("cannot open {url}: {e}"))?;
        let events: Arc<dyn EventStore> =
            Arc::new(MeteredStore::new(Arc::new(store.clone()), metrics));
        Ok(
            App::new(events, Arc::new(store.clone()), Arc::new(store.clone()))
                .with_blobs(Arc::new(store.blobs()))
                .with_attachment_limit(settings.attachment_max_bytes)
                .with_log(Arc::new(store), &settings.log_origin)
                .with_token_cache_ttl(token_cache_ttl(settings))
                .with_four_eyes(four_eyes(settings)),
        )
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = granttrail_store_postgres::PostgresStore::open(url)
            .await
            .map_err(|e| format!("cannot open {}: {e}", redact(url)))?;
        let events: Arc<dyn EventStore> =
            Arc::new(MeteredStore::new(Arc::new(store.clone()), metrics));
        Ok(
            App::new(events, Arc::new(store.clone()), Arc::new(store.clone()))
                .with_blobs(Arc::new(store.clone()))
                .with_attachment_limit(settings.attachment_max_bytes)
                .with_log(Arc::new(store), &settings.log_origin)
                .with_token_cache_ttl(token_cache_ttl(settings))
                .with_four_eyes(four_eyes(settings)),
        )
    } else {
        Err(format!(
            "'{url}' is not a database URL this build knows (sqlite://PATH)"
        ))
    }
}

fn four_eyes(settings: &Settings) -> granttrail_domain::FourEyes {
    if settings.four_eyes {
        granttrail_domain::FourEyes::Required
    } else {
        granttrail_domain::FourEyes::Off
    }
}

fn token_cache_ttl(settings: &Settings) -> std::time::Duration {
    std::time::Duration::from_secs(settings.token_cache_seconds)
}

/// A consistent copy of the SQLite database at `file`
/// (docs/deployment.md); PostgreSQL has its own tools for this.
pub async fn backup(settings: &Settings, file: &std::path::Path) -> Result<(), String> {
    let url = settings.database.as_str();
    if !url.starts_with("sqlite:") {
        return Err(format!(
            "backup copies SQLite databases; back up {} with pg_dump (docs/deployment.md)",
            redact(url)
        ));
    }
    let store = SqliteStore::open_existing(url)
        .await
        .map_err(|e| format!("cannot open {url}: {e}"))?;
    store
        .backup_into(file)
        .await
        .map_err(|e| format!("backup to {} failed: {e}", file.display()))
}

/// Where the signing key is kept: `signing_key_file` when set, else
/// `signing-key` beside the SQLite database file, so every command finds
/// the same key from any directory. PostgreSQL has no file to sit beside:
/// there the setting is required.
pub fn signing_key_path(settings: &Settings) -> Result<std::path::PathBuf, String> {
    if !settings.signing_key_file.is_empty() {
        return Ok(std::path::PathBuf::from(&settings.signing_key_file));
    }
    let url = settings.database.as_str();
    let file = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|file| !file.is_empty() && *file != ":memory:")
        .ok_or_else(|| {
            format!(
                "set signing_key_file (GRANTTRAIL_SIGNING_KEY_FILE) for {}: the key must be found \
                 in the same place by every server and command",
                redact(url)
            )
        })?;
    let directory = std::path::Path::new(file)
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    Ok(directory.join("signing-key"))
}

/// The key that signs bundles and checkpoints, and where it is kept;
/// created (owner-only permissions) when missing, unless the log already
/// signed checkpoints with a key: then a missing key is an error.
pub fn signing_key(
    settings: &Settings,
    has_checkpoints: bool,
) -> Result<(ed25519_dalek::SigningKey, std::path::PathBuf), String> {
    let path = signing_key_path(settings)?;
    if path.exists() {
        let seed = read_key_file(&path)?;
        return Ok((ed25519_dalek::SigningKey::from_bytes(&seed), path));
    }
    if has_checkpoints {
        return Err(format!(
            "the signing key is missing ({}), but this database's log has signed checkpoints \
             with it: restore the key from your backup (a new key would sign a log that \
             auditors cannot tie to the old checkpoints)",
            path.display()
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let seed = new_key_file(&path)?;
    tracing::info!(file = %path.display(), "created a new signing key");
    Ok((ed25519_dalek::SigningKey::from_bytes(&seed), path))
}

/// Moves the key at `path` aside, named by its public key's first bytes,
/// so a new one is made; returns where the old one went.
pub fn rotate_signing_key(path: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let seed = read_key_file(path)?;
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    let mut retired = path.as_os_str().to_owned();
    retired.push(format!(
        ".retired-{}",
        &hex::encode(public.to_bytes())[..16]
    ));
    let retired = std::path::PathBuf::from(retired);
    std::fs::rename(path, &retired)
        .map_err(|e| format!("cannot move {} aside: {e}", path.display()))?;
    Ok(retired)
}

/// A public key given as 64 hex characters or base64 (the forms
/// `GET /api/v1/signing-key` and `granttrail signing-key` print).
pub fn read_public_key(path: &std::path::Path) -> Result<ed25519_dalek::VerifyingKey, String> {
    use base64::Engine;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = text.trim();
    let bytes = hex::decode(text)
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
        .ok_or_else(|| format!("{} holds neither hex nor base64", path.display()))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("{} is not a 32-byte Ed25519 public key", path.display()))?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The log verifier an auditor pinned: a verifier key line
/// (`ORIGIN+KEYID+KEY`), or a bare Ed25519 public key, taken as the key of
/// the log named `origin`.
pub fn read_log_verifier(
    path: &std::path::Path,
    origin: &str,
) -> Result<granttrail_tlog::note::NoteVerifier, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if text.trim().contains('+') {
        return granttrail_tlog::note::NoteVerifier::parse(text.trim())
            .map_err(|e| format!("{}: {e}", path.display()));
    }
    let key = read_public_key(path)?;
    granttrail_tlog::note::NoteVerifier::new(origin, key)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A verifier key line (`NAME+KEYID+KEY`) from a file.
pub fn read_verifier_key(
    path: &std::path::Path,
) -> Result<granttrail_tlog::note::NoteVerifier, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    granttrail_tlog::note::NoteVerifier::parse(text.trim())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The Ed25519 seed in a key file (64 hex characters).
pub fn read_key_file(path: &std::path::Path) -> Result<[u8; 32], String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            format!(
                "{} does not hold a 64-hex-character Ed25519 seed",
                path.display()
            )
        })
}

/// Makes a new key file (owner-only; never over an existing one).
pub fn new_key_file(path: &std::path::Path) -> Result<[u8; 32], String> {
    let seed: [u8; 32] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut file, hex::encode(seed).as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(seed)
}
