//! The highest position followers of the global log have been told, kept
//! beside the database (`DB-high-water`).
//!
//! A follower of the feed remembers the last position it read and asks
//! for what comes after. If the database later loses its newest commits
//! (a deleted WAL, a restore from an old copy), the writer would hand the
//! same positions out again to new events, and every follower would skip
//! them without a trace. So before a position is shown to anyone outside
//! the process, this file records it durably; a server refuses to start
//! on a database that ends below it (docs/deployment.md says what the
//! operator does then). The file is written only when a follower reads
//! further than before, never on the command path.

use std::io::Write;
use std::path::{Path, PathBuf};

use granttrail_store::StoreError;
use tokio::sync::Mutex;

/// The mark and the file behind it.
#[derive(Debug)]
pub struct HighWater {
    /// `None` for an in-memory database, which has nothing to protect.
    path: Option<PathBuf>,
    /// The position last written to the file; the lock orders writers, so
    /// concurrent followers share one write.
    told: Mutex<i64>,
}

impl HighWater {
    /// The mark kept beside `database`, 0 when none was kept yet.
    pub fn open(database: &Path) -> Result<HighWater, StoreError> {
        let name = database.as_os_str();
        if name.is_empty() || name == ":memory:" {
            return Ok(HighWater {
                path: None,
                told: Mutex::new(0),
            });
        }
        let mut path = name.to_owned();
        path.push("-high-water");
        let path = PathBuf::from(path);
        let told = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<i64>().map_err(|_| {
                StoreError::unavailable(format!(
                    "{} does not hold a position; it is written only by granttrail",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => {
                return Err(StoreError::unavailable(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        Ok(HighWater {
            path: Some(path),
            told: Mutex::new(told),
        })
    }

    /// Refuses a database whose log ends (`last`, the highest position it
    /// ever assigned) below what followers were told. Called when the
    /// store opens, before any follower can raise the mark.
    pub fn check_not_behind(&mut self, last: i64) -> Result<(), StoreError> {
        let told = *self.told.get_mut();
        if last >= told {
            return Ok(());
        }
        let file = self
            .path
            .as_ref()
            .map_or_else(String::new, |p| p.display().to_string());
        Err(StoreError::unavailable(format!(
            "the database's global log ends at position {last}, but followers were already \
             told of position {told} ({file}): committed events were lost. Starting would \
             hand those positions out again and followers would skip the new events. \
             Restore the database from a backup, or see docs/deployment.md \
             (\"When the log is behind its high-water mark\")"
        )))
    }

    /// Records durably that `position` is about to be shown to a follower.
    pub async fn raise(&self, position: i64) -> Result<(), StoreError> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        let mut told = self.told.lock().await;
        if position <= *told {
            return Ok(());
        }
        let written = tokio::task::spawn_blocking(move || write_durably(&path, position))
            .await
            .map_err(|e| StoreError::unavailable(format!("writing the high-water mark: {e}")))?;
        written
            .map_err(|e| StoreError::unavailable(format!("writing the high-water mark: {e}")))?;
        *told = position;
        Ok(())
    }
}

/// Raises the mark in `path` to `position` unless it is already there.
///
/// Several processes may serve one database file (servers, the CLI), so
/// the raise holds an exclusive lock on `path.lock` while it reads the
/// mark and writes the new one: the file never goes back, and two writers
/// never rename over each other. The new mark goes to a file of this
/// process's own, is synced, renamed over `path`, and the directory is
/// synced: the mark on disk is the old one or the new one, never torn.
fn write_durably(path: &Path, position: i64) -> std::io::Result<()> {
    let sibling = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let lock = options.open(sibling(".lock"))?;
    lock.lock()?;
    let current = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.trim().parse::<i64>().ok())
        .unwrap_or(0);
    if current >= position {
        return Ok(());
    }
    let temporary = sibling(&format!(".{}.new", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(format!("{position}\n").as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(directory)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_raised_mark_is_kept_and_a_database_behind_it_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("g.db");
        let mut mark = HighWater::open(&database).unwrap();
        assert!(mark.check_not_behind(0).is_ok());
        mark.raise(40).await.unwrap();
        mark.raise(12).await.unwrap(); // never lowered
        // Another process sharing the database raised it further.
        let other = HighWater::open(&database).unwrap();
        other.raise(50).await.unwrap();
        mark.raise(45).await.unwrap(); // does not lower the other's 50
        let mut reopened = HighWater::open(&database).unwrap();
        assert!(reopened.check_not_behind(50).is_ok());
        assert!(reopened.check_not_behind(51).is_ok());
        let refused = reopened.check_not_behind(49).unwrap_err().to_string();
        assert!(refused.contains("ends at position 49"), "{refused}");
        assert!(refused.contains("told of position 50"), "{refused}");
    }

    #[tokio::test]
    async fn an_in_memory_database_keeps_no_mark() {
        let mut mark = HighWater::open(Path::new(":memory:")).unwrap();
        mark.raise(5).await.unwrap();
        assert!(mark.check_not_behind(0).is_ok());
    }
}
