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

use crate::{AuditRow, CSV_HEADER, Lang, ProjectView, ReportError, build_report};

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

/// Builds a signed bundle of one project. `events` in version order.
pub fn build_bundle(
    events: &[StoredEvent],
    state: &ProjectView,
    exporter: &str,
    exported_at: &str,
    key: &SigningKey,
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
    /// Whether everything checked out.
    pub ok: bool,
    /// The first problem found, naming the file or event version.
    pub problem: Option<String>,
    /// How many events were checked.
    pub events: u64,
}

/// Verifies a bundle offline: every file's hash and size against the
/// manifest, the manifest's signature (when a public key is given), and
/// every event's hash and link in `events.jsonl`.
pub fn verify_bundle(zip_bytes: &[u8], public_key: Option<&VerifyingKey>) -> BundleReport {
    match check(zip_bytes, public_key) {
        Ok(events) => BundleReport {
            ok: true,
            problem: None,
            events,
        },
        Err(problem) => BundleReport {
            ok: false,
            problem: Some(problem),
            events: 0,
        },
    }
}

fn check(zip_bytes: &[u8], public_key: Option<&VerifyingKey>) -> Result<u64, String> {
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
    if let Some(key) = public_key {
        let raw = BASE64
            .decode(String::from_utf8_lossy(&signature_text).trim())
            .map_err(|_| "manifest.sig is not base64".to_owned())?;
        let raw: [u8; 64] = raw
            .try_into()
            .map_err(|_| "manifest.sig is not a 64-byte signature".to_owned())?;
        key.verify(&manifest_bytes, &Signature::from_bytes(&raw))
            .map_err(|_| "manifest.sig: the signature does not match manifest.json".to_owned())?;
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| format!("manifest.json is malformed: {e}"))?;
    let mut events_bytes = None;
    for file in &manifest.files {
        let bytes = read(&file.name)?;
        if bytes.len() as u64 != file.size || sha256_hex(&bytes) != file.sha256 {
            return Err(format!(
                "{}: its SHA-256 or size differs from the manifest",
                file.name
            ));
        }
        if file.name == "events.jsonl" {
            events_bytes = Some(bytes);
        }
    }
    let events_bytes =
        events_bytes.ok_or_else(|| "the manifest lists no events.jsonl".to_owned())?;
    let text =
        String::from_utf8(events_bytes).map_err(|_| "events.jsonl is not UTF-8".to_owned())?;
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
    Ok(events.len() as u64)
}
