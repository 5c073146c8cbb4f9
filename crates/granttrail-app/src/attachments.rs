//! Attachments: a file's bytes are kept by their SHA-256, then an
//! `AttachmentAdded` event references them; every read checks the bytes
//! against the hash the event promises.

use std::path::PathBuf;
use std::sync::Arc;

use granttrail_domain::{
    AddAttachment, AttachmentStatus, BusinessDate, Command, CommandKind, Evidence, FourEyes,
    decide_as,
};
use granttrail_projections::{PointInTime, state_at};
use granttrail_store::{BlobStore, StreamBound};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::permissions::{Action, permits};
use crate::{App, AppError, Caller, CommandRequest, CommandResponse, IdempotencyRequest};

/// An upload the HTTP edge streamed to disk, hashing, counting and
/// sniffing it as it came.
#[derive(Clone, Debug)]
pub struct StagedUpload {
    /// The staged file (removed once kept, or if the upload is refused).
    pub path: PathBuf,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// The media type its content shows.
    pub media_type: String,
}

/// What an upload says of itself besides its bytes.
#[derive(Clone, Debug)]
pub struct UploadFacts {
    /// The file's name.
    pub name: String,
    /// What it evidences.
    pub evidences: Evidence,
    /// The day it is attached (today unless given).
    pub added_on: Option<BusinessDate>,
}

/// What a file evidences, from its parts as a query or a form gives them:
/// `of` is `project` (the default), `stage` (with `stage`), `indicator`
/// (with `indicator`, its key) or `finance_check` (with `check`).
pub fn evidence_from(
    of: Option<&str>,
    stage: Option<&str>,
    indicator: Option<&str>,
    check: Option<&str>,
) -> Result<Evidence, String> {
    let mut value = serde_json::Map::new();
    value.insert("of".into(), of.unwrap_or("project").into());
    for (key, given) in [("stage", stage), ("indicator", indicator), ("check", check)] {
        if let Some(given) = given.filter(|g| !g.is_empty()) {
            value.insert(key.into(), given.into());
        }
    }
    serde_json::from_value(serde_json::Value::Object(value)).map_err(|e| {
        format!(
            "what the file evidences is not clear: {e} (of=project|stage&stage=…|indicator&indicator=…|finance_check&check=vouchers|budget|compliance)"
        )
    })
}

/// The `Content-Disposition` a download of `name` is sent with (RFC
/// 6266): an ASCII fallback, and the UTF-8 name percent-encoded.
pub fn disposition_of(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

impl App {
    /// Keeps attachment bytes in `blobs`.
    pub fn with_blobs(mut self, blobs: Arc<dyn BlobStore>) -> App {
        self.blobs = Some(blobs);
        self
    }

    /// At most this many bytes per attachment (`attachment_max_bytes`).
    pub fn with_attachment_limit(mut self, bytes: u64) -> App {
        self.attachment_limit = bytes;
        self
    }

    /// The most bytes an attachment may have.
    pub fn attachment_limit(&self) -> u64 {
        self.attachment_limit
    }

    fn blob_store(&self) -> Result<&Arc<dyn BlobStore>, AppError> {
        self.blobs
            .as_ref()
            .ok_or_else(|| AppError::internal("this process keeps no attachment bytes"))
    }

    /// The directory an upload is staged in (made if missing).
    pub async fn upload_staging(&self) -> Result<PathBuf, AppError> {
        let dir = self.blob_store()?.staging();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| AppError::internal(format!("cannot make {}: {e}", dir.display())))?;
        Ok(dir)
    }

    /// Attaches a staged upload to a project. The command is judged first,
    /// so a refused upload keeps nothing; then the bytes are kept, then the
    /// event is appended (bytes without an event are harmless; an event
    /// without its bytes would not be).
    pub async fn attach(
        &self,
        caller: &Caller,
        project_id: Uuid,
        if_match: Option<u64>,
        idempotency: Option<IdempotencyRequest>,
        upload: StagedUpload,
        facts: UploadFacts,
    ) -> Result<CommandResponse, AppError> {
        let result = self
            .attach_staged(caller, project_id, if_match, idempotency, &upload, facts)
            .await;
        // Kept or refused, the staged file is done with.
        let _ = tokio::fs::remove_file(&upload.path).await;
        result
    }

    async fn attach_staged(
        &self,
        caller: &Caller,
        project_id: Uuid,
        if_match: Option<u64>,
        idempotency: Option<IdempotencyRequest>,
        upload: &StagedUpload,
        facts: UploadFacts,
    ) -> Result<CommandResponse, AppError> {
        // A retry is answered before the file is judged: its first try
        // attached it, so judged again it would be "attached already".
        if let Some(replay) = self.replay(caller, idempotency.as_ref()).await? {
            return Ok(replay);
        }
        let events = self
            .read_checked(caller, project_id, StreamBound::default())
            .await?;
        permits(caller, Action::Command(CommandKind::Attach))?;
        let state = state_at(&events, PointInTime::Latest).map_err(AppError::history)?;
        let command = Command::AddAttachment(AddAttachment {
            added_on: facts.added_on.unwrap_or_else(|| self.today()),
            sha256: upload.sha256.clone(),
            name: facts.name,
            media_type: upload.media_type.clone(),
            size: upload.size,
            evidences: facts.evidences,
        });
        decide_as(
            state.as_ref(),
            &command,
            self.today(),
            &caller.person(),
            FourEyes::Off,
        )?;
        self.blob_store()?
            .keep(&upload.sha256, &upload.path)
            .await?;
        self.execute(
            caller,
            CommandRequest {
                project_id,
                command,
                if_match,
                idempotency,
                correlation_id: Uuid::now_v7(),
                causation_id: None,
            },
        )
        .await
    }

    /// An attachment of a project and its bytes, checked against the hash
    /// its event promises: bytes that are missing or altered are never
    /// served (503 `attachment-damaged`).
    pub async fn attachment(
        &self,
        caller: &Caller,
        project_id: Uuid,
        sha256: &str,
    ) -> Result<(AttachmentStatus, Vec<u8>), AppError> {
        let events = self
            .read_checked(caller, project_id, StreamBound::default())
            .await?;
        let state = state_at(&events, PointInTime::Latest)
            .map_err(AppError::history)?
            .ok_or(AppError::NotFound)?;
        let sha256 = sha256.to_ascii_lowercase();
        let attachment = state
            .attachments
            .into_iter()
            .find(|a| a.sha256 == sha256)
            .ok_or(AppError::NotFound)?;
        let damaged = |why: &str| AppError::attachment_damaged(project_id, &sha256, why);
        match self.blob_store()?.blob(&sha256).await? {
            None => Err(damaged("its bytes are missing")),
            Some(bytes) if hex::encode(Sha256::digest(&bytes)) != sha256 => {
                Err(damaged("its bytes no longer match its SHA-256"))
            }
            Some(bytes) => Ok((attachment, bytes)),
        }
    }
}
