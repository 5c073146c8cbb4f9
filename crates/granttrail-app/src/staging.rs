//! An upload streamed to a staging file: hashed (SHA-256), counted and
//! sniffed as it arrives, never held whole in memory. The API (a raw body)
//! and the web view (a multipart form's file) both stage through here.

use std::fmt::Display;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{App, AppError, StagedUpload};

/// The media types an attachment may have, as its content shows them.
pub const ATTACHMENT_MEDIA_TYPES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
];

/// How many leading bytes are kept for sniffing.
const SNIFF: usize = 8192;

/// Why an upload was not staged; nothing of it is kept.
#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    /// Past `attachment_max_bytes`.
    #[error("an attachment may have at most {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The content is none of [`ATTACHMENT_MEDIA_TYPES`].
    #[error("the content is none of the types evidence may have")]
    UnsupportedMediaType,
    /// The client stopped sending part way.
    #[error("the upload broke off: {0}")]
    BrokenOff(String),
    /// The server could not write the staging file.
    #[error(transparent)]
    Failed(#[from] AppError),
}

/// The media type `prefix` shows, if it is one attachments may have:
/// sniffed from the content, never taken from a header.
pub fn sniffed(prefix: &[u8]) -> Option<&'static str> {
    match infer::get(prefix) {
        Some(kind) => ATTACHMENT_MEDIA_TYPES
            .iter()
            .copied()
            .find(|t| *t == kind.mime_type()),
        None => {
            // Text: UTF-8 (a character cut at the end of the prefix is
            // fine) without NUL.
            let text = match std::str::from_utf8(prefix) {
                Ok(_) => true,
                Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > prefix.len(),
            };
            (text && !prefix.contains(&0) && !prefix.is_empty()).then_some("text/plain")
        }
    }
}

impl App {
    /// Streams `body` into a new staging file: its SHA-256, size and
    /// sniffed media type. Past the attachment limit it stops. On any
    /// refusal the staging file is removed.
    pub async fn stage_upload<S, E>(&self, body: S) -> Result<StagedUpload, StagingError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Display,
    {
        let dir = self.upload_staging().await?;
        let path = dir.join(Uuid::now_v7().to_string());
        match stream_to(&path, body, self.attachment_limit()).await {
            Ok((sha256, size, prefix)) => match sniffed(&prefix) {
                Some(media_type) => Ok(StagedUpload {
                    path,
                    sha256,
                    size,
                    media_type: media_type.to_owned(),
                }),
                None => {
                    let _ = tokio::fs::remove_file(&path).await;
                    Err(StagingError::UnsupportedMediaType)
                }
            },
            Err(error) => {
                let _ = tokio::fs::remove_file(&path).await;
                Err(error)
            }
        }
    }
}

/// Streams `body` into a new file at `path`: its SHA-256, its size and its
/// first bytes.
///
/// One blocking thread writes the file with plain `std::fs`, fed chunk by
/// chunk through a channel of a few chunks: the upload's memory is those
/// chunks, whatever its size (tokio's `File` would copy each chunk into
/// buffers of its own on whichever blocking thread is free).
async fn stream_to<S, E>(
    path: &std::path::Path,
    mut body: S,
    limit: u64,
) -> Result<(String, u64, Vec<u8>), StagingError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let failed = |e: std::io::Error| {
        StagingError::Failed(AppError::internal(format!("staging an upload: {e}")))
    };
    let mut file = std::fs::File::create(path).map_err(failed)?;
    let (chunks, mut incoming) = tokio::sync::mpsc::channel::<Bytes>(4);
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        while let Some(chunk) = incoming.blocking_recv() {
            file.write_all(&chunk)?;
        }
        Ok(())
    });
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut prefix = Vec::with_capacity(SNIFF);
    let mut outcome = Ok(());
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                outcome = Err(StagingError::BrokenOff(e.to_string()));
                break;
            }
        };
        size += chunk.len() as u64;
        if size > limit {
            outcome = Err(StagingError::TooLarge { limit });
            break;
        }
        if prefix.len() < SNIFF {
            let take = (SNIFF - prefix.len()).min(chunk.len());
            prefix.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        if chunks.send(chunk).await.is_err() {
            // The writer stopped: its error is reported below.
            break;
        }
    }
    drop(chunks);
    let written = writer
        .await
        .map_err(|e| failed(std::io::Error::other(e.to_string())))?;
    outcome?;
    written.map_err(failed)?;
    Ok((hex::encode(hasher.finalize()), size, prefix))
}
