//! The signing key lives in one place, found the same way from any
//! directory; a log that signed checkpoints never gets a new key by
//! accident; rotating keeps old checkpoints verifiable under their key.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Server, binary, seed_project_through};
use granttrail_tlog::note::{Note, NoteVerifier};

/// `granttrail ARGS` run in `dir`, against `server`'s database.
fn run_in(server: &Server, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(binary());
    command
        .current_dir(dir)
        .args(["--database", &server.database])
        .args(args)
        .env("GRANTTRAIL_LOG", "warn");
    if !server.is_sqlite() {
        command.env(
            "GRANTTRAIL_SIGNING_KEY_FILE",
            server.signing_key_file().display().to_string(),
        );
    }
    command.output().unwrap()
}

#[tokio::test]
async fn signing_key_export_and_verify_from_another_directory_use_the_same_key() {
    let server = Server::start();
    let (_, id) = seed_project_through(&server, 8).await;
    let elsewhere = tempfile::tempdir().unwrap();
    let printed = run_in(&server, elsewhere.path(), &["signing-key"]);
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let printed = String::from_utf8(printed.stdout).unwrap();
    let public = printed.lines().next().unwrap().to_owned();
    assert!(
        printed.contains(&format!("kept in: {}", server.signing_key_file().display())),
        "{printed}"
    );
    assert!(printed.contains("key id: "), "{printed}");
    assert!(
        !elsewhere.path().join("data").exists(),
        "no key was made in the working directory"
    );
    let bundle = elsewhere.path().join("b.zip");
    let export = run_in(
        &server,
        elsewhere.path(),
        &["export", &id, "--out", bundle.to_str().unwrap()],
    );
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let key = elsewhere.path().join("pinned.pub");
    std::fs::write(&key, &public).unwrap();
    let verified = run_in(
        &server,
        elsewhere.path(),
        &[
            "verify",
            "--bundle",
            bundle.to_str().unwrap(),
            "--public-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

#[tokio::test]
async fn a_log_with_checkpoints_whose_key_is_missing_refuses_to_make_a_new_one() {
    let mut server = Server::start();
    seed_project_through(&server, 8).await; // finalization signs a checkpoint
    server.kill();
    let key = server.signing_key_file();
    std::fs::rename(&key, key.with_extension("away")).unwrap();
    let refused = server.cli(&["signing-key"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("signing key is missing"), "{said}");
    assert!(!key.exists(), "no new key was made");
    std::fs::rename(key.with_extension("away"), &key).unwrap();
}

#[tokio::test]
async fn rotating_the_key_keeps_old_checkpoints_verifiable_under_their_own_key() {
    let mut server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let old_key = staff.get("/api/v1/signing-key").await.json["log_verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    server.kill();
    let rotated = server.cli(&["signing-key", "--rotate"]);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    server.restart();
    let staff = granttrail_e2e::Client::new(&server, &server.token("staff", None));
    let new_key = staff.get("/api/v1/signing-key").await.json["log_verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(old_key, new_key);
    staff.sign_seed(Some("ROTATED")).await;
    assert_eq!(
        staff
            .get_raw(&format!("/api/v1/projects/{id}/export"))
            .await
            .status(),
        200
    );
    let history = staff.get("/api/v1/log/checkpoints").await;
    let items = history.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", history.text);
    let (old, new) = (
        NoteVerifier::parse(&old_key).unwrap(),
        NoteVerifier::parse(&new_key).unwrap(),
    );
    let first = Note::parse(items[0]["checkpoint"].as_str().unwrap()).unwrap();
    let second = Note::parse(items[1]["checkpoint"].as_str().unwrap()).unwrap();
    first.verify(&old).unwrap();
    second.verify(&new).unwrap();
    assert!(second.verify(&old).is_err());
    assert_eq!(items[0]["key_id"], format!("{:08x}", old.key_id()));
    assert_eq!(items[1]["key_id"], format!("{:08x}", new.key_id()));
}
