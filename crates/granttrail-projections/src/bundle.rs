//! Compliance bundles: a zip an auditor can verify offline — every file's
//! SHA-256 in a manifest, the manifest signed with Ed25519, and the events
//! whose hash chain can be recomputed from `events.jsonl` alone.

use std::io::{Cursor, Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use granttrail_store::{StoredEvent, chain};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use granttrail_tlog::note::{Note, NoteSigner, NoteVerifier};

use crate::{AuditRow, CSV_HEADER, Lang, ProjectView, ReportError, build_report};

/// Where a bundle keeps attachment bytes: `attachments/<sha256>`.
pub const ATTACHMENTS: &str = "attachments/";

/// The bundle format written into every manifest.
pub const BUNDLE_FORMAT: &str = "granttrail-bundle/1";

/// One file of the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Its name in the zip.
    pub name: String,
    /// Lowercase hex SHA-256 of its bytes.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The project.
    pub project_id: Uuid,
    /// When the bundle was made (RFC 3339 UTC).
    pub exported_at: String,
    /// Who made it (token name and role).
    pub exporter: String,
    /// The hash chain's algorithm (docs/hash-chain.md).
    pub hash_algorithm: String,
    /// How many events `events.jsonl` holds.
    pub event_count: u64,
    /// The stream's head hash: the last event's hash.
    pub head_hash: String,
    /// Every other file of the bundle.
    pub files: Vec<ManifestFile>,
    /// The key ID (8 hex digits) of the key that signed this manifest and
    /// the checkpoint, under the log's origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The transparency log's origin (the checkpoint's first line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_origin: Option<String>,
}

/// One event's inclusion proof, as served by `GET /api/v1/log/inclusion`
/// and carried in bundles (`proofs.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InclusionProof {
    /// The event's global position.
    pub position: i64,
    /// Its leaf index in the log.
    pub leaf_index: u64,
    /// The tree size the proof is for.
    pub tree_size: u64,
    /// The event's chain hash (hex); the leaf is SHA-256(0x00 ‖ it).
    pub event_hash: String,
    /// The proof, leaf level first (base64 of each 32-byte hash).
    pub proof: Vec<String>,
}

/// What a bundle carries from the transparency log: the checkpoint
/// covering its last event and each event's inclusion proof under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvidence {
    /// The signed checkpoint (C2SP note), as the log serves it.
    pub checkpoint: String,
    /// One proof per event, in version order.
    pub proofs: Vec<InclusionProof>,
}

/// Audit rows as CSV text, with the UTF-8 byte-order mark (so spreadsheet
/// programs show Chinese correctly) and, if asked, the header row.
pub fn audit_csv(rows: &[AuditRow], with_header: bool) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if with_header {
        writer.write_record(CSV_HEADER)?;
    }
    for row in rows {
        writer.write_record(row.csv_record().map(neutralised))?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

/// The CSV line (no BOM, no header) standing in for a project whose
/// history cannot be read; see [`crate::unreadable_csv_record`].
pub fn unreadable_csv(project_id: &str, why: &str) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(crate::audit::unreadable_csv_record(project_id, why).map(neutralised))?;
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A cell a spreadsheet will not run as a formula (OWASP CSV injection):
/// text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets
/// a leading `'`, which spreadsheets show as text and do not evaluate.
/// Free text comes from users (names, reasons, findings), and the audit
/// CSV is opened by exactly the people such a formula would target.
fn neutralised(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Builds a signed bundle of one project. `events` in version order;
/// `attachments` are `(sha256, bytes)`, already checked against their
/// hashes by the caller.
#[allow(clippy::too_many_arguments)]
pub fn build_bundle(
    events: &[StoredEvent],
    state: &ProjectView,
    exporter: &str,
    exported_at: &str,
    signer: &NoteSigner,
    key: &SigningKey,
    evidence: Option<&LogEvidence>,
    attachments: &[(String, Vec<u8>)],
) -> Result<Vec<u8>, ReportError> {
    let render = |e: &dyn std::fmt::Display| ReportError::Render(e.to_string());
    let mut jsonl = String::new();
    for event in events {
        jsonl.push_str(&serde_json::to_string(event).map_err(|e| render(&e))?);
        jsonl.push('\n');
    }
    let rows = crate::audit_trail(events)?;
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("events.jsonl".into(), jsonl.into_bytes()),
        (
            "audit-trail.csv".into(),
            audit_csv(&rows, true).map_err(|e| render(&e))?.into_bytes(),
        ),
        (
            "state.json".into(),
            serde_json::to_vec_pretty(state).map_err(|e| render(&e))?,
        ),
    ];
    // A project without a draft has no report yet; the bundle says so by
    // leaving the report files out (the manifest lists what is there).
    match build_report(events, Lang::ZhCn) {
        Ok(zh) => {
            let en = build_report(events, Lang::En)?;
            files.push(("report.zh-CN.md".into(), zh.to_markdown()?.into_bytes()));
            files.push(("report.en.md".into(), en.to_markdown()?.into_bytes()));
            files.push(("report.html".into(), zh.to_html()?.into_bytes()));
        }
        Err(ReportError::NotReady) => {}
        Err(other) => return Err(other),
    }
    if let Some(evidence) = evidence {
        files.push((
            "checkpoint.txt".into(),
            evidence.checkpoint.clone().into_bytes(),
        ));
        files.push((
            "proofs.json".into(),
            serde_json::to_vec_pretty(&evidence.proofs).map_err(|e| render(&e))?,
        ));
    }
    // Each attachment's bytes, named by the SHA-256 its event promises;
    // the manifest lists them like every other file.
    for (sha256, bytes) in attachments {
        files.push((format!("{ATTACHMENTS}{sha256}"), bytes.clone()));
    }
    let manifest = Manifest {
        format: BUNDLE_FORMAT.into(),
        project_id: state.id,
        exported_at: exported_at.into(),
        exporter: exporter.into(),
        hash_algorithm: chain::ALGORITHM.into(),
        event_count: events.len() as u64,
        head_hash: events.last().map(|e| e.hash.clone()).unwrap_or_default(),
        files: files
            .iter()
            .map(|(name, bytes)| ManifestFile {
                name: name.clone(),
                sha256: sha256_hex(bytes),
                size: bytes.len() as u64,
            })
            .collect(),
        key_id: Some(format!("{:08x}", signer.verifier().key_id())),
        log_origin: Some(signer.verifier().name().to_owned()),
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| render(&e))?;
    let signature = BASE64.encode(key.sign(&manifest_bytes).to_bytes());

    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut add = |name: &str, bytes: &[u8]| -> Result<(), ReportError> {
        zip.start_file(name, options).map_err(|e| render(&e))?;
        zip.write_all(bytes).map_err(|e| render(&e))
    };
    add("manifest.json", &manifest_bytes)?;
    add("manifest.sig", signature.as_bytes())?;
    for (name, bytes) in &files {
        add(name, bytes)?;
    }
    Ok(zip.finish().map_err(|e| render(&e))?.into_inner())
}

/// The verdict on a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BundleReport {
    /// Whether everything checked out, the signatures under the pinned key
    /// included.
    pub ok: bool,
    /// True when nothing was wrong but no key was pinned: then nothing is
    /// proven (anyone can make a bundle whose hashes agree), and the
    /// verdict is not ok.
    pub unpinned: bool,
    /// The first problem found, naming the file or event version.
    pub problem: Option<String>,
    /// How many events were checked.
    pub events: u64,
    /// The checkpoint's tree size, when the bundle carries one.
    pub checkpoint_size: Option<u64>,
}

/// Verifies a bundle offline, with the key the auditor pinned: every
/// file's hash and size against the manifest, the manifest's signature,
/// every event's hash and link in `events.jsonl`, the checkpoint's
/// signature and each event's inclusion under it, and that `state.json`,
/// the audit trail and the reports are what the events make (so a file
/// changed along with its hash in the manifest is caught).
///
/// Without a key everything else is still checked, but the verdict is not
/// ok: `unpinned` says why.
///
/// Every key in `cosigners` must also have signed the checkpoint (a
/// witness's cosignature).
pub fn verify_bundle(
    zip_bytes: &[u8],
    public_key: Option<&VerifyingKey>,
    cosigners: &[NoteVerifier],
) -> BundleReport {
    match check(zip_bytes, public_key, cosigners) {
        Ok((events, checkpoint_size)) => BundleReport {
            ok: public_key.is_some(),
            unpinned: public_key.is_none(),
            problem: None,
            events,
            checkpoint_size,
        },
        Err(problem) => BundleReport {
            ok: false,
            unpinned: false,
            problem: Some(problem),
            events: 0,
            checkpoint_size: None,
        },
    }
}

fn check(
    zip_bytes: &[u8],
    public_key: Option<&VerifyingKey>,
    cosigners: &[NoteVerifier],
) -> Result<(u64, Option<u64>), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip_bytes))
        .map_err(|e| format!("not a readable zip: {e}"))?;
    let mut read = |name: &str| -> Result<Vec<u8>, String> {
        let mut file = archive
            .by_name(name)
            .map_err(|_| format!("{name} is missing"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| format!("{name} cannot be read: {e}"))?;
        Ok(bytes)
    };
    let manifest_bytes = read("manifest.json")?;
    let signature_text = read("manifest.sig")?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| format!("manifest.json is malformed: {e}"))?;
    let mut contents = std::collections::BTreeMap::new();
    for file in &manifest.files {
        let bytes = read(&file.name)?;
        if bytes.len() as u64 != file.size || sha256_hex(&bytes) != file.sha256 {
            return Err(format!(
                "{}: its SHA-256 or size differs from the manifest",
                file.name
            ));
        }
        contents.insert(file.name.clone(), bytes);
    }
    let events_bytes = contents
        .get("events.jsonl")
        .ok_or_else(|| "the manifest lists no events.jsonl".to_owned())?;
    let text =
        std::str::from_utf8(events_bytes).map_err(|_| "events.jsonl is not UTF-8".to_owned())?;
    let mut events = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let event: StoredEvent =
            serde_json::from_str(line).map_err(|e| format!("events.jsonl line {}: {e}", n + 1))?;
        events.push(event);
    }
    let head = events.last().map(|e| granttrail_store::StreamHead {
        version: e.version,
        hash: manifest.head_hash.clone(),
    });
    let report = chain::verify(manifest.project_id, &events, head.as_ref());
    if !report.ok {
        return Err(format!(
            "event version {}: {}",
            report.first_bad_version.unwrap_or(0),
            report.problem.unwrap_or_default()
        ));
    }
    if manifest.event_count != events.len() as u64 {
        return Err(format!(
            "the manifest counts {} events, events.jsonl holds {}",
            manifest.event_count,
            events.len()
        ));
    }
    rederive(&manifest, &events, &contents)?;
    let checkpoint_size = match (contents.get("checkpoint.txt"), contents.get("proofs.json")) {
        (Some(note), Some(proofs)) => Some(check_evidence(
            &manifest, &events, note, proofs, public_key, cosigners,
        )?),
        (None, None) if cosigners.is_empty() => None,
        (None, None) => {
            return Err("a cosigner is required, but the bundle carries no checkpoint".to_owned());
        }
        _ => return Err("checkpoint.txt and proofs.json come together".to_owned()),
    };
    // Content first, so a changed file is named even when its hash was
    // refreshed in the manifest; then the signatures that make it proof.
    if let Some(key) = public_key {
        let raw = BASE64
            .decode(String::from_utf8_lossy(&signature_text).trim())
            .map_err(|_| "manifest.sig is not base64".to_owned())?;
        let raw: [u8; 64] = raw
            .try_into()
            .map_err(|_| "manifest.sig is not a 64-byte signature".to_owned())?;
        key.verify(&manifest_bytes, &Signature::from_bytes(&raw))
            .map_err(|_| {
                "manifest.sig: the signature does not match manifest.json under the pinned key"
                    .to_owned()
            })?;
    }
    Ok((events.len() as u64, checkpoint_size))
}

/// The files made from the events are what the events make today.
fn rederive(
    manifest: &Manifest,
    events: &[StoredEvent],
    contents: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Result<(), String> {
    let differs =
        |name: &str| format!("{name} is not what events.jsonl makes (changed after export)");
    let project = crate::state_at(events, crate::PointInTime::Latest)
        .map_err(|e| format!("events.jsonl cannot be folded: {e}"))?
        .ok_or_else(|| "events.jsonl holds no project".to_owned())?;
    // An attachment's bytes are named by their hash, and an event of the
    // project references that hash.
    for (name, bytes) in contents {
        let Some(sha256) = name.strip_prefix(ATTACHMENTS) else {
            continue;
        };
        if sha256_hex(bytes) != sha256 {
            return Err(format!("{name}: its bytes do not hash to its name"));
        }
        if !project.attachments.iter().any(|a| a.sha256 == sha256) {
            return Err(format!("{name}: no event of the project attaches it"));
        }
    }
    // "Overdue" was judged on the day of the export.
    let exported_on = chrono::DateTime::parse_from_rfc3339(&manifest.exported_at)
        .map_err(|_| "manifest.json: exported_at is not an instant".to_owned())?
        .date_naive();
    let view = ProjectView::new(manifest.project_id, project, exported_on.into());
    if let Some(state) = contents.get("state.json") {
        let stored: serde_json::Value =
            serde_json::from_slice(state).map_err(|_| differs("state.json"))?;
        if stored != serde_json::to_value(&view).map_err(|e| e.to_string())? {
            return Err(differs("state.json"));
        }
    }
    if let Some(csv) = contents.get("audit-trail.csv") {
        let rows = crate::audit_trail(events).map_err(|e| e.to_string())?;
        if audit_csv(&rows, true)
            .map_err(|e| e.to_string())?
            .as_bytes()
            != csv.as_slice()
        {
            return Err(differs("audit-trail.csv"));
        }
    }
    for (name, lang, html) in [
        ("report.zh-CN.md", Lang::ZhCn, false),
        ("report.en.md", Lang::En, false),
        ("report.html", Lang::ZhCn, true),
    ] {
        let Some(bytes) = contents.get(name) else {
            continue;
        };
        let report = build_report(events, lang).map_err(|e| format!("{name}: {e}"))?;
        let made = if html {
            report.to_html()
        } else {
            report.to_markdown()
        }
        .map_err(|e| format!("{name}: {e}"))?;
        if made.as_bytes() != bytes.as_slice() {
            return Err(differs(name));
        }
    }
    Ok(())
}

/// The checkpoint is the log's, signed by the pinned key, and every event
/// is included in its tree. Returns the checkpoint's size.
fn check_evidence(
    manifest: &Manifest,
    events: &[StoredEvent],
    note: &[u8],
    proofs: &[u8],
    public_key: Option<&VerifyingKey>,
    cosigners: &[NoteVerifier],
) -> Result<u64, String> {
    let note = std::str::from_utf8(note).map_err(|_| "checkpoint.txt is not UTF-8".to_owned())?;
    let note = Note::parse(note).map_err(|e| format!("checkpoint.txt: {e}"))?;
    let checkpoint = granttrail_tlog::Checkpoint::parse(&note.text)
        .map_err(|e| format!("checkpoint.txt: {e}"))?;
    if let Some(key) = public_key {
        let verifier = NoteVerifier::new(&checkpoint.origin, *key)
            .map_err(|e| format!("checkpoint.txt: {e}"))?;
        note.verify(&verifier)
            .map_err(|e| format!("checkpoint.txt: {e} (the pinned key)"))?;
        if manifest.key_id.as_deref() != Some(format!("{:08x}", verifier.key_id()).as_str()) {
            return Err("manifest.json names another key ID than the pinned key's".to_owned());
        }
    }
    for cosigner in cosigners {
        note.verify(cosigner)
            .map_err(|e| format!("checkpoint.txt: {e} (a required cosigner)"))?;
    }
    let proofs: Vec<InclusionProof> =
        serde_json::from_slice(proofs).map_err(|e| format!("proofs.json is malformed: {e}"))?;
    if proofs.len() != events.len() {
        return Err(format!(
            "proofs.json has {} proofs for {} events",
            proofs.len(),
            events.len()
        ));
    }
    for (event, proof) in events.iter().zip(&proofs) {
        let named = |why: &str| format!("event version {}: {why}", event.version);
        if proof.position != event.position || proof.event_hash != event.hash {
            return Err(named("proofs.json proves another event"));
        }
        if proof.tree_size != checkpoint.size {
            return Err(named("its proof is not for the checkpoint's tree"));
        }
        let hash: [u8; 32] = hex::decode(&event.hash)
            .ok()
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| named("its hash is not 64 hex characters"))?;
        let path = proof
            .proof
            .iter()
            .map(|p| {
                BASE64
                    .decode(p)
                    .ok()
                    .and_then(|h| <[u8; 32]>::try_from(h).ok())
                    .ok_or_else(|| named("proofs.json holds a hash that is not 32 bytes of base64"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        granttrail_tlog::verify::verify_inclusion(
            proof.leaf_index,
            checkpoint.size,
            &granttrail_tlog::leaf_hash(&hash),
            &path,
            &checkpoint.root,
        )
        .map_err(|e| named(&format!("not included in the checkpoint's tree ({e})")))?;
    }
    Ok(checkpoint.size)
}
