//! The transparency log as use cases: integrating new events as leaves,
//! signing checkpoints (never one inconsistent with the last), and
//! serving checkpoints and proofs.

use granttrail_projections::{InclusionProof, LogEvidence, PointInTime, state_at};
use granttrail_store::{
    LogHead, LogStep, Saved, StoredCheckpoint, StoredEvent, StreamBound, chain,
};
use granttrail_tlog::note::NoteSigner;
use granttrail_tlog::{Checkpoint, Hash, leaf_hash, stored, verify};

use crate::permissions::{Action, permits};
use crate::{App, AppError, Caller};

/// How many events one integration step takes.
const PAGE: u32 = 1000;

/// How long the log runner lets commits gather before it integrates them.
/// Each step is a read of the new events and a write through the same
/// writer the commands use; a quarter second turns a burst of commits into
/// one step (a checkpoint is signed at most every few seconds anyway, and
/// finalizations and exports integrate at once).
const GATHER: std::time::Duration = std::time::Duration::from_millis(250);

/// The leaf of an event: its chain hash, as 32 bytes, hashed as a leaf.
pub fn event_leaf(event: &StoredEvent) -> Result<Hash, AppError> {
    hash_leaf(&granttrail_store::EventHash::from(event))
}

/// The leaf of an event given by its hash.
fn hash_leaf(event: &granttrail_store::EventHash) -> Result<Hash, AppError> {
    let bytes: [u8; 32] = hex::decode(&event.hash)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            AppError::integrity_failed(
                event.stream_id,
                event.version,
                "its hash is not 64 hex characters",
            )
        })?;
    Ok(leaf_hash(&bytes))
}

fn encode(hashes: &[Hash]) -> Vec<String> {
    use base64::Engine;
    hashes
        .iter()
        .map(|h| base64::engine::general_purpose::STANDARD.encode(h))
        .collect()
}

impl App {
    fn log_store(&self) -> Result<&std::sync::Arc<dyn granttrail_store::LogStore>, AppError> {
        self.log
            .as_ref()
            .ok_or_else(|| AppError::Unavailable("this app has no transparency log".into()))
    }

    /// Makes every committed event a leaf of the log, in position order;
    /// returns the log's head. Steps are written only where the log still
    /// stands, so servers sharing a database integrate each event once.
    pub async fn integrate_log(&self) -> Result<LogHead, AppError> {
        let log = self.log_store()?;
        let _one_at_a_time = self.log_lock.lock().await;
        let mut head = log.log_head().await?;
        loop {
            let events = self.store.read_hashes(head.position, PAGE).await?;
            let Some(last) = events.last() else { break };
            let leaves = events
                .iter()
                .map(hash_leaf)
                .collect::<Result<Vec<_>, _>>()?;
            let existing = log.log_hashes(&stored::root_needs(head.size)).await?;
            let step = LogStep {
                from: head,
                leaves: events
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.position, head.size + i as u64))
                    .collect(),
                hashes: stored::append(head.size, &existing, &leaves),
            };
            head = match log.integrate(&step).await? {
                Saved::Written => LogHead {
                    size: head.size + events.len() as u64,
                    position: last.position,
                },
                Saved::Overtaken => log.log_head().await?,
            };
            if events.len() < PAGE as usize {
                break;
            }
        }
        Ok(head)
    }

    /// The root of the log at `size` leaves, from its stored hashes.
    pub async fn log_root(&self, size: u64) -> Result<Hash, AppError> {
        let log = self.log_store()?;
        Ok(stored::root_from(
            size,
            &log.log_hashes(&stored::root_needs(size)).await?,
        ))
    }

    /// Signs a checkpoint of the log as integrated now, unless the newest
    /// one already covers it; returns the newest checkpoint.
    ///
    /// Before signing, the new tree must be proven to extend the newest
    /// checkpoint (a consistency proof from the stored hashes, checked):
    /// the server never signs two trees that disagree. If they do, the
    /// stored log was altered, and it refuses (and says so) rather than
    /// sign over it.
    pub async fn sign_checkpoint(&self) -> Result<Option<StoredCheckpoint>, AppError> {
        let log = self.log_store()?;
        let _one_at_a_time = self.log_lock.lock().await;
        let head = log.log_head().await?;
        let latest = log.latest_checkpoint().await?;
        if head.size == 0 || latest.as_ref().is_some_and(|c| c.size >= head.size) {
            return Ok(latest);
        }
        let root = stored::root_from(
            head.size,
            &log.log_hashes(&stored::root_needs(head.size)).await?,
        );
        if let Some(previous) = &latest {
            let proof = stored::consistency_from(
                previous.size,
                head.size,
                &log.log_hashes(&stored::consistency_needs(previous.size, head.size))
                    .await?,
            );
            if let Err(why) =
                verify::verify_consistency(previous.size, head.size, &proof, &previous.root, &root)
            {
                let problem = format!(
                    "the log of {} leaves does not extend the checkpoint of {} ({why}); \
                     nothing was signed",
                    head.size, previous.size
                );
                tracing::error!(%problem, "refusing to sign an inconsistent checkpoint");
                return Err(AppError::LogInconsistent(problem));
            }
        }
        let signer = self.log_signer()?;
        let body = Checkpoint {
            origin: signer.verifier().name().to_owned(),
            size: head.size,
            root,
            extensions: Vec::new(),
        }
        .body();
        let note = signer
            .sign(&body)
            .map_err(|e| AppError::internal(format!("signing the checkpoint: {e}")))?;
        let checkpoint = StoredCheckpoint {
            size: head.size,
            root,
            note,
            key_id: format!("{:08x}", signer.verifier().key_id()),
            signed_at: granttrail_store::now_micros(),
        };
        log.save_checkpoint(&checkpoint).await?;
        tracing::info!(size = head.size, key_id = %checkpoint.key_id, "signed a checkpoint");
        Ok(log.latest_checkpoint().await?)
    }

    /// Keeps the log integrated (on every commit, and each second for other
    /// processes' commits) and signs a checkpoint at most every
    /// `interval` when the log grew, until `shutdown` resolves.
    pub async fn run_log(
        &self,
        interval: std::time::Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut commits = self.store.subscribe();
        let mut signed = std::time::Instant::now() - interval;
        tokio::pin!(shutdown);
        loop {
            if let Err(error) = self.integrate_log().await {
                tracing::error!(%error, "integrating the log failed; retrying");
            } else if signed.elapsed() >= interval {
                match self.sign_checkpoint().await {
                    Ok(_) => signed = std::time::Instant::now(),
                    Err(error) => tracing::error!(%error, "signing a checkpoint failed"),
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = commits.changed() => tokio::time::sleep(GATHER).await,
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        }
    }

    /// Integrates and signs now: after a finalization, before an export.
    pub async fn checkpoint_now(&self) -> Result<Option<StoredCheckpoint>, AppError> {
        self.integrate_log().await?;
        self.sign_checkpoint().await
    }

    /// The log's signer: the server's key, named by the log's origin.
    pub fn log_signer(&self) -> Result<NoteSigner, AppError> {
        NoteSigner::new(&self.log_origin, self.signing_key()?.clone())
            .map_err(|e| AppError::internal(format!("the log origin: {e}")))
    }

    /// Whether the log has signed any checkpoint (then its key must not be
    /// replaced by a new one unnoticed).
    pub async fn has_checkpoints(&self) -> Result<bool, AppError> {
        match &self.log {
            Some(log) => Ok(log.latest_checkpoint().await?.is_some()),
            None => Ok(false),
        }
    }

    /// The newest checkpoint, if any was signed, with its cosignatures.
    pub async fn latest_checkpoint(
        &self,
        caller: &Caller,
    ) -> Result<Option<StoredCheckpoint>, AppError> {
        permits(caller, Action::ReadLog)?;
        match self.log_store()?.latest_checkpoint().await? {
            Some(checkpoint) => Ok(Some(self.with_cosignatures(checkpoint).await?)),
            None => Ok(None),
        }
    }

    /// Checkpoints for sizes above `after`, oldest first, with their
    /// cosignatures.
    pub async fn checkpoints(
        &self,
        caller: &Caller,
        after: u64,
        limit: u32,
    ) -> Result<Vec<StoredCheckpoint>, AppError> {
        permits(caller, Action::ReadLog)?;
        let mut kept = Vec::new();
        for checkpoint in self.log_store()?.checkpoints(after, limit).await? {
            kept.push(self.with_cosignatures(checkpoint).await?);
        }
        Ok(kept)
    }

    /// The checkpoint's note with every cosignature line added after the
    /// log's own signature.
    async fn with_cosignatures(
        &self,
        mut checkpoint: StoredCheckpoint,
    ) -> Result<StoredCheckpoint, AppError> {
        for cosignature in self.log_store()?.cosignatures(checkpoint.size).await? {
            checkpoint.note.push_str(&cosignature.line);
        }
        Ok(checkpoint)
    }

    /// Cosigns the newest checkpoint with a second key (a witness: the
    /// foundation's supervisor, a donor), after checking that the log's key
    /// signed it and that it extends the last checkpoint this key cosigned
    /// (a consistency proof from the stored hashes). Returns the size
    /// cosigned.
    pub async fn cosign(
        &self,
        cosigner: &NoteSigner,
        log_key: &granttrail_tlog::note::NoteVerifier,
    ) -> Result<u64, AppError> {
        let log = self.log_store()?;
        let latest = log
            .latest_checkpoint()
            .await?
            .ok_or_else(|| AppError::BadParameter {
                parameter: "checkpoint".into(),
                message: "the log has signed no checkpoint yet: nothing to cosign".into(),
            })?;
        let refuse = |why: String| {
            tracing::error!(%why, "refusing to cosign");
            AppError::LogInconsistent(why)
        };
        let note = granttrail_tlog::note::Note::parse(&latest.note)
            .map_err(|e| refuse(format!("the newest checkpoint is not a signed note: {e}")))?;
        note.verify(log_key)
            .map_err(|e| refuse(format!("the newest checkpoint: {e}")))?;
        let checkpoint = Checkpoint::parse(&note.text)
            .map_err(|e| refuse(format!("the newest checkpoint: {e}")))?;
        let name = cosigner.verifier().name().to_owned();
        let key_id = format!("{:08x}", cosigner.verifier().key_id());
        if let Some(previous) = log.last_cosigned(&name, &key_id).await? {
            if previous >= checkpoint.size {
                return Ok(previous);
            }
            let before = log
                .checkpoint_covering(previous)
                .await?
                .filter(|c| c.size == previous)
                .ok_or_else(|| {
                    refuse(format!(
                        "the checkpoint of {previous} leaves this key cosigned is gone"
                    ))
                })?;
            let proof = stored::consistency_from(
                previous,
                checkpoint.size,
                &log.log_hashes(&stored::consistency_needs(previous, checkpoint.size))
                    .await?,
            );
            verify::verify_consistency(previous, checkpoint.size, &proof, &before.root, &checkpoint.root)
                .map_err(|e| {
                    refuse(format!(
                        "the checkpoint of {} leaves does not extend the one of {previous} this key cosigned ({e})",
                        checkpoint.size
                    ))
                })?;
        }
        let line = cosigner
            .signature_line(&note.text)
            .map_err(|e| AppError::internal(format!("cosigning: {e}")))?;
        log.save_cosignature(&granttrail_store::Cosignature {
            size: checkpoint.size,
            name,
            key_id,
            line,
            signed_at: granttrail_store::now_micros(),
        })
        .await?;
        Ok(checkpoint.size)
    }

    /// The inclusion proof of the event at `position` in the tree of
    /// `tree_size` leaves (the newest checkpoint's when `None`). An
    /// executor gets proofs of its own organisation's events only; any
    /// other is the same 404 as a position that does not exist.
    pub async fn inclusion_proof(
        &self,
        caller: &Caller,
        position: i64,
        tree_size: Option<u64>,
    ) -> Result<InclusionProof, AppError> {
        permits(caller, Action::ReadProject)?;
        let log = self.log_store()?;
        let event = self
            .store
            .read_all(position - 1, 1)
            .await?
            .into_iter()
            .find(|e| e.position == position)
            .ok_or(AppError::NotFound)?;
        let first = self
            .store
            .read_stream(
                event.stream_id,
                StreamBound {
                    up_to_version: Some(1),
                    recorded_at_or_before: None,
                },
            )
            .await?;
        let visible = state_at(&first, PointInTime::Version(1))
            .ok()
            .flatten()
            .is_some_and(|p| caller.sees_org(&p.executor.org_id));
        if !visible {
            return Err(AppError::NotFound);
        }
        let leaf_index = log
            .leaf_index(position)
            .await?
            .ok_or_else(|| AppError::BadParameter {
                parameter: "position".into(),
                message: format!(
                    "the event at position {position} is not in the log yet; ask again in a moment"
                ),
            })?;
        let size = match tree_size {
            Some(size) => size,
            None => log
                .latest_checkpoint()
                .await?
                .map(|c| c.size)
                .ok_or_else(|| AppError::BadParameter {
                    parameter: "tree_size".into(),
                    message: "no checkpoint has been signed yet".into(),
                })?,
        };
        let head = log.log_head().await?;
        if leaf_index >= size || size > head.size {
            return Err(AppError::BadParameter {
                parameter: "tree_size".into(),
                message: format!(
                    "the event is leaf {leaf_index}; a proof needs a tree size above it and at most {}",
                    head.size
                ),
            });
        }
        let proof = stored::inclusion_from(
            leaf_index,
            size,
            &log.log_hashes(&stored::inclusion_needs(leaf_index, size))
                .await?,
        );
        Ok(InclusionProof {
            position,
            leaf_index,
            tree_size: size,
            event_hash: event.hash,
            proof: encode(&proof),
        })
    }

    /// The consistency proof from `from` to `to` leaves.
    pub async fn consistency_proof(
        &self,
        caller: &Caller,
        from: u64,
        to: u64,
    ) -> Result<Vec<String>, AppError> {
        permits(caller, Action::ReadLog)?;
        let log = self.log_store()?;
        let head = log.log_head().await?;
        if from == 0 || from > to || to > head.size {
            return Err(AppError::BadParameter {
                parameter: "from".into(),
                message: format!("a consistency proof needs 0 < from ≤ to ≤ {}", head.size),
            });
        }
        let proof = stored::consistency_from(
            from,
            to,
            &log.log_hashes(&stored::consistency_needs(from, to)).await?,
        );
        Ok(encode(&proof))
    }

    /// What a bundle of `events` carries from the log: the newest
    /// checkpoint (signed now if the log grew) and each event's proof.
    pub(crate) async fn evidence(&self, events: &[StoredEvent]) -> Result<LogEvidence, AppError> {
        let log = self.log_store()?;
        let checkpoint = self.checkpoint_now().await?.ok_or_else(|| {
            AppError::Unavailable("no checkpoint could be signed for the bundle".into())
        })?;
        let mut proofs = Vec::with_capacity(events.len());
        for event in events {
            let leaf_index = log.leaf_index(event.position).await?.ok_or_else(|| {
                AppError::Unavailable(format!("event {} is not in the log yet", event.position))
            })?;
            if leaf_index >= checkpoint.size {
                return Err(AppError::Unavailable(
                    "the newest checkpoint does not cover the project yet".into(),
                ));
            }
            let proof = stored::inclusion_from(
                leaf_index,
                checkpoint.size,
                &log.log_hashes(&stored::inclusion_needs(leaf_index, checkpoint.size))
                    .await?,
            );
            proofs.push(InclusionProof {
                position: event.position,
                leaf_index,
                tree_size: checkpoint.size,
                event_hash: event.hash.clone(),
                proof: encode(&proof),
            });
        }
        Ok(LogEvidence {
            checkpoint: self.with_cosignatures(checkpoint).await?.note,
            proofs,
        })
    }

    /// Checks the log against a checkpoint an auditor kept: that today's
    /// log extends it (a consistency proof), and that every event under it
    /// still hashes to the leaf the checkpoint committed to. Names the
    /// first event that differs.
    pub async fn check_against(&self, kept: &Checkpoint) -> Result<AgainstReport, AppError> {
        let log = self.log_store()?;
        let head = log.log_head().await?;
        if head.size < kept.size {
            return Ok(AgainstReport::broken(format!(
                "the log holds {} leaves, fewer than the {} the checkpoint covers: events were removed",
                head.size, kept.size
            )));
        }
        let root = self.log_root(head.size).await?;
        let proof = stored::consistency_from(
            kept.size,
            head.size,
            &log.log_hashes(&stored::consistency_needs(kept.size, head.size))
                .await?,
        );
        let extends = verify::verify_consistency(kept.size, head.size, &proof, &kept.root, &root);
        // Every event under the checkpoint, recomputed from its content,
        // against the leaf the log stored for it.
        let mut leaves = Vec::with_capacity(kept.size as usize);
        let mut first_difference = None;
        let mut after = 0;
        while (leaves.len() as u64) < kept.size {
            let page = self.store.read_all(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.position;
            let start = leaves.len() as u64;
            let page: Vec<StoredEvent> = page
                .into_iter()
                .take((kept.size - start) as usize)
                .collect();
            let indexes: Vec<u64> = (0..page.len() as u64)
                .map(|i| stored::stored_hash_index(0, start + i))
                .collect();
            let stored_leaves = log.log_hashes(&indexes).await?;
            for (event, stored_leaf) in page.into_iter().zip(stored_leaves) {
                let recomputed = chain::stored_hash(&event);
                let leaf = event_leaf(&StoredEvent {
                    hash: recomputed,
                    ..event.clone()
                })?;
                if leaf != stored_leaf && first_difference.is_none() {
                    first_difference = Some(event);
                }
                leaves.push(leaf);
            }
        }
        let events_root = granttrail_tlog::hash::root_of(&leaves);
        if let Some(event) = first_difference {
            return Ok(AgainstReport::broken(format!(
                "event at position {} (project {} version {}) differs from what the checkpoint \
                 of {} leaves committed to",
                event.position, event.stream_id, event.version, kept.size
            )));
        }
        if let Err(why) = extends {
            return Ok(AgainstReport::broken(format!(
                "today's log of {} leaves does not extend the checkpoint of {} ({why}): the log \
                 was rewritten below it",
                head.size, kept.size
            )));
        }
        if (leaves.len() as u64) < kept.size || events_root != kept.root {
            return Ok(AgainstReport::broken(format!(
                "the events under the checkpoint of {} leaves no longer hash to its root",
                kept.size
            )));
        }
        Ok(AgainstReport {
            ok: true,
            size: head.size,
            problem: None,
        })
    }
}

/// What checking the log against a kept checkpoint found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgainstReport {
    /// Whether today's log extends the checkpoint with every event intact.
    pub ok: bool,
    /// Today's log size.
    pub size: u64,
    /// What is wrong, naming the first event that differs where one does.
    pub problem: Option<String>,
}

impl AgainstReport {
    fn broken(problem: String) -> AgainstReport {
        AgainstReport {
            ok: false,
            size: 0,
            problem: Some(problem),
        }
    }
}
