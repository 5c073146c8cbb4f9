//! Attachment bytes, kept by their SHA-256 beside the events: the event
//! that references a file is the proof, and these bytes are checked
//! against it on every read.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::StoreError;

/// Where attachment bytes live, content-addressed by SHA-256 (hex).
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// A directory for an upload in progress, on the filesystem the blobs
    /// are kept on (so keeping one is a rename, never a copy).
    fn staging(&self) -> PathBuf;
    /// Keeps the staged file as the blob `sha256`; keeping the same bytes
    /// twice keeps them once. The caller has hashed the file.
    async fn keep(&self, sha256: &str, staged: &Path) -> Result<(), StoreError>;
    /// The blob's bytes as kept (unchecked: the caller compares them with
    /// the hash the event promises), or `None` if there are none.
    async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError>;
}
