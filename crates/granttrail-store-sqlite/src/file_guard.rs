//! Watching the database and WAL files the server writes through.
//!
//! SQLite keeps its files open: if someone deletes `granttrail.db-wal`
//! (or replaces the database file) while the server runs, SQLite goes on
//! committing into a file nobody will ever read again, and every
//! acknowledged command since is lost at the next restart. Nothing in
//! SQLite notices. So the writer asks, before and after every commit,
//! whether the paths still name the files it opened (same device and
//! inode); the first time they do not, writes stop for good (503) and
//! readiness fails, until an operator restarts the server on a database
//! that is whole.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One file the writer relies on, as it was when the store opened.
#[derive(Debug)]
struct Watched {
    path: PathBuf,
    device: u64,
    inode: u64,
}

/// The database file and its WAL; tripped once, tripped for good.
#[derive(Debug, Default)]
pub struct FileGuard {
    files: Vec<Watched>,
    /// Why writes stopped, once they did.
    tripped: Mutex<Option<String>>,
}

impl FileGuard {
    /// Watches `database` and its `-wal` file as they are now. An
    /// in-memory database has no files and is never tripped.
    pub fn watch(database: &Path) -> std::io::Result<FileGuard> {
        let name = database.as_os_str();
        if name.is_empty() || name == ":memory:" {
            return Ok(FileGuard::default());
        }
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        let files = [database.to_path_buf(), PathBuf::from(wal)]
            .into_iter()
            .map(|path| {
                let meta = std::fs::metadata(&path)?;
                Ok(Watched {
                    device: meta.dev(),
                    inode: meta.ino(),
                    path,
                })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(FileGuard {
            files,
            tripped: Mutex::new(None),
        })
    }

    /// `Err(why)` once any watched path was deleted or now names another
    /// file. Two `stat` calls, cheap beside a commit's fsync.
    pub fn check(&self) -> Result<(), String> {
        let mut tripped = self.tripped.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(why) = tripped.as_ref() {
            return Err(why.clone());
        }
        for file in &self.files {
            let problem = match std::fs::metadata(&file.path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => "was deleted",
                Err(_) => "can no longer be examined",
                Ok(meta) if meta.dev() != file.device || meta.ino() != file.inode => {
                    "was replaced by another file"
                }
                Ok(_) => continue,
            };
            let why = format!(
                "{} {problem} while the server was running; writes are stopped so that \
                 nothing more is acknowledged into a file that will not be read again. \
                 Restore the database (docs/deployment.md) and restart",
                file.path.display()
            );
            tracing::error!(file = %file.path.display(), problem, "database file changed under the server; writes stopped");
            *tripped = Some(why.clone());
            return Err(why);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_with_wal(dir: &Path) -> PathBuf {
        let database = dir.join("g.db");
        std::fs::write(&database, b"db").unwrap();
        std::fs::write(dir.join("g.db-wal"), b"wal").unwrap();
        database
    }

    #[test]
    fn intact_files_pass() {
        let dir = tempfile::tempdir().unwrap();
        let guard = FileGuard::watch(&database_with_wal(dir.path())).unwrap();
        assert_eq!(guard.check(), Ok(()));
    }

    #[test]
    fn a_deleted_wal_trips_the_guard_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let guard = FileGuard::watch(&database_with_wal(dir.path())).unwrap();
        std::fs::remove_file(dir.path().join("g.db-wal")).unwrap();
        let why = guard.check().unwrap_err();
        assert!(why.contains("g.db-wal was deleted"), "{why}");
        // A new WAL at the same path does not make the lost one whole.
        std::fs::write(dir.path().join("g.db-wal"), b"new").unwrap();
        assert!(guard.check().is_err());
    }

    #[test]
    fn a_replaced_database_file_trips_the_guard() {
        let dir = tempfile::tempdir().unwrap();
        let database = database_with_wal(dir.path());
        let guard = FileGuard::watch(&database).unwrap();
        let other = dir.path().join("other.db");
        std::fs::write(&other, b"forged").unwrap();
        std::fs::rename(&other, &database).unwrap();
        let why = guard.check().unwrap_err();
        assert!(why.contains("was replaced"), "{why}");
    }

    #[test]
    fn an_in_memory_database_has_nothing_to_watch() {
        let guard = FileGuard::watch(Path::new(":memory:")).unwrap();
        assert_eq!(guard.check(), Ok(()));
    }
}
