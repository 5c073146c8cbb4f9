//! Attachment bytes on SQLite: files in a directory beside the database
//! (`<database>.blobs/ab/abcdef…`), named by their SHA-256. A file is
//! staged in `<database>.blobs/staging/`, synced, and renamed into place,
//! so a blob is either whole or absent.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use granttrail_store::{BlobStore, StoreError};

/// The blob directory of one database file.
#[derive(Clone, Debug)]
pub struct BlobDir {
    root: PathBuf,
}

impl BlobDir {
    /// The directory beside `database` (`<database>.blobs`).
    pub fn beside(database: &Path) -> BlobDir {
        let mut name = database.as_os_str().to_owned();
        name.push(".blobs");
        BlobDir {
            root: PathBuf::from(name),
        }
    }

    /// Where the blob `sha256` lives.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join(prefix).join(sha256)
    }
}

fn unavailable(what: &str, e: std::io::Error) -> StoreError {
    StoreError::unavailable(format!("{what}: {e}"))
}

#[async_trait]
impl BlobStore for BlobDir {
    fn staging(&self) -> PathBuf {
        self.root.join("staging")
    }

    async fn keep(&self, sha256: &str, staged: &Path) -> Result<(), StoreError> {
        let target = self.path_of(sha256);
        let staged = staged.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let dir = target.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)
                .map_err(|e| unavailable("creating the blob directory", e))?;
            if target.exists() {
                // The same bytes are kept already.
                let _ = std::fs::remove_file(&staged);
                return Ok(());
            }
            std::fs::File::open(&staged)
                .and_then(|f| f.sync_all())
                .map_err(|e| unavailable("syncing the upload", e))?;
            std::fs::rename(&staged, &target).map_err(|e| unavailable("keeping the upload", e))?;
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| unavailable("syncing the blob directory", e))
        })
        .await
        .map_err(|e| StoreError::unavailable(format!("keeping a blob: {e}")))?
    }

    async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match tokio::fs::read(self.path_of(sha256)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable("reading a blob", e)),
        }
    }
}
