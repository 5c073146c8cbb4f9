//! Verifying and signing evidence: the whole-store check, a kept
//! checkpoint against today's log, a bundle offline, the signing key, and
//! a witness's cosignature.

use std::process::ExitCode;

use granttrail_app::App;

use crate::settings::Settings;
use crate::wiring;

pub(crate) async fn verify(app: &App) -> Result<ExitCode, String> {
    let store = app.store();
    let ids = store.stream_ids().await.map_err(|e| e.to_string())?;
    let (mut events, mut broken, mut files, mut damaged) = (0u64, 0usize, 0usize, 0usize);
    let operator = granttrail_app::Caller::operator("granttrail verify");
    for id in &ids {
        let report = store.verify_stream(*id).await.map_err(|e| e.to_string())?;
        events += report.events;
        if !report.ok {
            broken += 1;
            println!(
                "BROKEN {id}: first bad version {}: {}",
                report.first_bad_version.unwrap_or(0),
                report.problem.unwrap_or_default()
            );
            continue;
        }
        // Every attachment's bytes, re-hashed against their event.
        let state = app
            .project(&operator, *id, granttrail_projections::PointInTime::Latest)
            .await
            .map_err(|e| e.to_string())?;
        for attachment in &state.project.attachments {
            files += 1;
            match app.attachment(&operator, *id, &attachment.sha256).await {
                Ok(_) => {}
                Err(granttrail_app::AppError::AttachmentDamaged { why, .. }) => {
                    damaged += 1;
                    println!(
                        "BROKEN {id}: attachment {} ({}): {why}",
                        attachment.sha256, attachment.name
                    );
                }
                Err(other) => return Err(other.to_string()),
            }
        }
    }
    let log = app.verify_log().await.map_err(|e| e.to_string())?;
    for problem in &log.problems {
        println!("BROKEN log: {problem}");
    }
    if log.findings > log.problems.len() {
        println!(
            "… and {} more findings in the log",
            log.findings - log.problems.len()
        );
    }
    if broken == 0 && damaged == 0 && log.findings == 0 {
        println!(
            "ok: {} streams, {events} events, every hash chain intact, {files} attachments whose bytes match their hashes; \
             the global log has no gap, no instant going back, no unknown actor and no undecodable event",
            ids.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{broken} of {} streams are broken; {damaged} of {files} attachments are damaged; {} findings in the global log",
            ids.len(),
            log.findings
        );
        Ok(ExitCode::from(1))
    }
}

/// Prints the key (public key in hex on the first line, then its key ID,
/// the log's verifier key and where it is kept), or rotates it.
pub(crate) async fn signing_key(
    app: &App,
    settings: &Settings,
    rotate: bool,
) -> Result<ExitCode, String> {
    let path = wiring::signing_key_path(settings)?;
    let app = if rotate {
        let retired = wiring::rotate_signing_key(&path)?;
        eprintln!("the old key is kept at {}", retired.display());
        let (key, _) = wiring::signing_key(settings, false)?;
        app.clone().with_signing_key(key)
    } else {
        app.clone()
    };
    let info = app.signing_key_info().map_err(|e| e.to_string())?;
    println!("{}", info.public_key);
    println!("key id: {}", info.key_id.unwrap_or_default());
    println!(
        "log verifier key: {}",
        info.log_verifier_key.unwrap_or_default()
    );
    println!("kept in: {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Checks today's log against a checkpoint the auditor kept.
pub(crate) async fn verify_against(
    app: &App,
    file: &std::path::Path,
    public_key: Option<&std::path::Path>,
    cosigners: &[std::path::PathBuf],
) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let note = granttrail_tlog::note::Note::parse(&text)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let checkpoint = granttrail_tlog::Checkpoint::parse(&note.text)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let Some(key_file) = public_key else {
        println!(
            "NOT VERIFIED: a checkpoint proves nothing without the key you trust. Pin the log's \
             key: get it once from a channel you trust (granttrail signing-key on the server, or \
             the foundation's published key), keep it in a file, and pass --public-key FILE"
        );
        return Ok(ExitCode::from(3));
    };
    let verifier = wiring::read_log_verifier(key_file, &checkpoint.origin)?;
    if let Err(e) = note.verify(&verifier) {
        println!("BROKEN {}: {e}", file.display());
        return Ok(ExitCode::from(1));
    }
    for cosigner in cosigners {
        let cosigner = wiring::read_verifier_key(cosigner)?;
        if let Err(e) = note.verify(&cosigner) {
            println!("BROKEN {}: {e} (a required cosigner)", file.display());
            return Ok(ExitCode::from(1));
        }
    }
    let report = app
        .check_against(&checkpoint)
        .await
        .map_err(|e| e.to_string())?;
    if report.ok {
        println!(
            "ok: the checkpoint of {} leaves (root {}, key {:08x}) is signed by the pinned key; \
             today's log of {} leaves extends it and every event under it is unchanged",
            checkpoint.size,
            hex::encode(checkpoint.root),
            verifier.key_id(),
            report.size
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("BROKEN: {}", report.problem.unwrap_or_default());
        Ok(ExitCode::from(1))
    }
}

/// Makes a cosigner's key file and prints its verifier key.
pub(crate) fn cosigner_init(key: &std::path::Path, name: &str) -> Result<ExitCode, String> {
    let seed = wiring::new_key_file(key)?;
    let signer =
        granttrail_tlog::note::NoteSigner::new(name, ed25519_dalek::SigningKey::from_bytes(&seed))
            .map_err(|e| e.to_string())?;
    println!("{}", signer.verifier().encode());
    eprintln!(
        "made {}; give the line above to whoever verifies your cosignatures",
        key.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Cosigns the newest checkpoint.
pub(crate) async fn cosign(
    app: &App,
    key: &std::path::Path,
    name: &str,
    log_key: Option<&std::path::Path>,
) -> Result<ExitCode, String> {
    let seed = wiring::read_key_file(key)?;
    let signer =
        granttrail_tlog::note::NoteSigner::new(name, ed25519_dalek::SigningKey::from_bytes(&seed))
            .map_err(|e| e.to_string())?;
    let log_key = wiring::read_verifier_key(log_key.ok_or("give --log-key")?)?;
    match app.cosign(&signer, &log_key).await {
        Ok(size) => {
            println!(
                "cosigned the checkpoint of {size} leaves as {}",
                signer.verifier().encode()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("REFUSED: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

pub(crate) fn verify_bundle(
    bundle: &std::path::Path,
    public_key: Option<&std::path::Path>,
    cosigners: &[std::path::PathBuf],
) -> Result<ExitCode, String> {
    let bytes =
        std::fs::read(bundle).map_err(|e| format!("cannot read {}: {e}", bundle.display()))?;
    let key = public_key.map(wiring::read_public_key).transpose()?;
    let cosigners = cosigners
        .iter()
        .map(|c| wiring::read_verifier_key(c))
        .collect::<Result<Vec<_>, _>>()?;
    let report = granttrail_projections::verify_bundle(&bytes, key.as_ref(), &cosigners);
    if report.ok {
        let evidence = report.checkpoint_size.map_or_else(
            || "no transparency-log checkpoint in this bundle".to_owned(),
            |size| format!("every event included in the signed checkpoint of {size} leaves"),
        );
        println!(
            "ok: {} events, every file and hash intact, signatures valid under the pinned key, {evidence}",
            report.events
        );
        Ok(ExitCode::SUCCESS)
    } else if report.unpinned {
        println!(
            "NOT VERIFIED {}: its files agree with each other, but without the key you trust \
             that proves nothing (anyone can make such a bundle). Pin the signer's key: get it \
             once from a channel you trust (granttrail signing-key on the server, or the \
             foundation's published key), keep it in a file, and pass --public-key FILE",
            bundle.display()
        );
        Ok(ExitCode::from(3))
    } else {
        println!(
            "BROKEN {}: {}",
            bundle.display(),
            report.problem.unwrap_or_default()
        );
        Ok(ExitCode::from(1))
    }
}
