//! The transparency log as an auditor uses it: signed checkpoints in the
//! C2SP format, inclusion and consistency proofs checked with our own
//! verifier against the published key, and a checkpoint kept earlier that
//! convicts a rewrite the hash chain alone cannot see.

#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use granttrail_e2e::{Client, Server, seed_project_through};
use granttrail_tlog::note::{Note, NoteVerifier};
use granttrail_tlog::verify::{verify_consistency, verify_inclusion};
use granttrail_tlog::{Checkpoint, Hash, leaf_hash};

fn hashes(proof: &serde_json::Value) -> Vec<Hash> {
    proof
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            STANDARD
                .decode(p.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect()
}

/// The newest checkpoint, checked against the key the server publishes.
async fn checkpoint(client: &Client, verifier: &NoteVerifier) -> (String, Checkpoint) {
    let answer = client.get("/api/v1/log/checkpoint").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type.starts_with("text/plain"));
    let note = Note::parse(&answer.text).unwrap();
    note.verify(verifier).unwrap();
    (answer.text.clone(), Checkpoint::parse(&note.text).unwrap())
}

async fn verifier(client: &Client) -> NoteVerifier {
    let key = client.get("/api/v1/signing-key").await;
    NoteVerifier::parse(key.json["log_verifier_key"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn every_event_is_provably_in_a_signed_checkpoint_and_the_log_only_grows() {
    let server = Server::start();
    // Finalization signs a checkpoint at once.
    let (staff, id) = seed_project_through(&server, 8).await;
    let verifier = verifier(&staff).await;
    let (_, first) = checkpoint(&staff, &verifier).await;
    assert_eq!(first.size, 8);
    assert_eq!(first.origin, "granttrail.invalid/log");

    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    for event in events.json.as_array().unwrap() {
        let position = event["position"].as_i64().unwrap();
        let answer = staff
            .get(&format!(
                "/api/v1/log/inclusion?position={position}&tree_size=8"
            ))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let event_hash: [u8; 32] = hex::decode(event["hash"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let index = answer.json["leaf_index"].as_u64().unwrap();
        let proof = hashes(&answer.json["proof"]);
        verify_inclusion(index, 8, &leaf_hash(&event_hash), &proof, &first.root).unwrap();
    }

    // More events, an export: a second checkpoint that extends the first.
    staff.sign_seed(Some("TLOG-2")).await;
    let bundle = staff
        .get_raw(&format!("/api/v1/projects/{id}/export"))
        .await;
    assert_eq!(bundle.status(), 200);
    let (_, second) = checkpoint(&staff, &verifier).await;
    assert_eq!(second.size, 9);
    let consistency = staff.get("/api/v1/log/consistency?from=8&to=9").await;
    assert_eq!(consistency.status, 200, "{}", consistency.text);
    verify_consistency(
        8,
        9,
        &hashes(&consistency.json["proof"]),
        &first.root,
        &second.root,
    )
    .unwrap();
    let history = staff.get("/api/v1/log/checkpoints").await;
    let sizes: Vec<u64> = history.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tree_size"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [8, 9]);

    // An executor proves its own events, and learns nothing of others'.
    let own = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    assert_eq!(
        own.get("/api/v1/log/inclusion?position=1").await.status,
        200
    );
    let stranger = Client::new(&server, &server.token("executor", Some("other-org")));
    assert_eq!(
        stranger
            .get("/api/v1/log/inclusion?position=1")
            .await
            .status,
        404
    );
    assert_eq!(
        stranger
            .get("/api/v1/log/inclusion?position=999")
            .await
            .status,
        404
    );
    // Anyone signed in reads checkpoints.
    assert_eq!(stranger.get("/api/v1/log/checkpoint").await.status, 200);
}

#[tokio::test]
async fn a_rehashed_forgery_passes_the_chain_but_not_a_kept_checkpoint() {
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let verifier = verifier(&staff).await;
    let (note, kept) = checkpoint(&staff, &verifier).await;
    let kept_file = server.dir.path().join("checkpoint.txt");
    std::fs::write(&kept_file, &note).unwrap();
    let key_file = server.dir.path().join("log.vkey");
    std::fs::write(&key_file, verifier.encode()).unwrap();
    assert_eq!(kept.size, 8);
    let against = |server: &Server| {
        server.cli(&[
            "verify",
            "--against",
            kept_file.to_str().unwrap(),
            "--public-key",
            key_file.to_str().unwrap(),
        ])
    };
    let before = against(&server);
    assert!(
        before.status.success(),
        "{}",
        String::from_utf8_lossy(&before.stdout)
    );

    // The forger edits event 5 (the site visit) and recomputes the hashes
    // of events 5 to 8 and the stream's head, as docs/hash-chain.md says.
    let events = staff
        .get(&format!("/api/v1/projects/{id}/events"))
        .await
        .json;
    let events = events.as_array().unwrap();
    granttrail_e2e::rehash_forgery(&server, &id, events, 5);

    let chain_only = server.cli(&["verify"]);
    assert!(
        chain_only.status.success(),
        "the rehashed chain verifies by itself: {}",
        String::from_utf8_lossy(&chain_only.stdout)
    );
    let after = against(&server);
    assert!(!after.status.success());
    let said = String::from_utf8_lossy(&after.stdout);
    assert!(
        said.contains(&format!("position {}", events[4]["position"])) && said.contains("version 5"),
        "names the first event that differs: {said}"
    );
}

#[tokio::test]
async fn a_checkpoint_without_a_pinned_key_is_not_verified() {
    let server = Server::start();
    let (staff, _) = seed_project_through(&server, 8).await;
    let verifier = verifier(&staff).await;
    let (note, _) = checkpoint(&staff, &verifier).await;
    let file = server.dir.path().join("checkpoint.txt");
    std::fs::write(&file, note).unwrap();
    let unpinned = server.cli(&["verify", "--against", file.to_str().unwrap()]);
    assert_eq!(unpinned.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&unpinned.stdout).contains("Pin the log's key"));
    let wrong = server.dir.path().join("wrong.vkey");
    let other = NoteVerifier::new(
        "granttrail.invalid/log",
        ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key(),
    )
    .unwrap();
    std::fs::write(&wrong, other.encode()).unwrap();
    let refused = server.cli(&[
        "verify",
        "--against",
        file.to_str().unwrap(),
        "--public-key",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(1));
}

#[tokio::test]
async fn the_report_names_the_checkpoint_covering_its_last_event_once_there_is_one() {
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let verifier = verifier(&staff).await;
    let (_, checkpoint) = checkpoint(&staff, &verifier).await;
    let line = format!(
        "granttrail.invalid/log · size 8 · root {} · key {:08x}",
        hex::encode(checkpoint.root),
        verifier.key_id()
    );
    for (lang, label) in [
        ("zh-CN", "透明日志检查点："),
        ("en", "transparency-log checkpoint: "),
    ] {
        let report = staff
            .get(&format!("/api/v1/projects/{id}/report?lang={lang}"))
            .await;
        assert_eq!(report.status, 200, "{}", report.text);
        assert!(
            report.text.contains(&format!("{label}`{line}`")),
            "{}",
            report.text
        );
    }
    // A draft written after that checkpoint is not covered by it yet,
    // and says so rather than naming an older one.
    let (drafting, draft) = seed_project_through(&server, 7).await;
    let report = drafting
        .get(&format!("/api/v1/projects/{draft}/report?lang=en"))
        .await;
    assert!(
        report
            .text
            .contains("transparency-log checkpoint: not yet covered"),
        "{}",
        report.text
    );
}

#[tokio::test]
async fn a_growing_log_is_checkpointed_on_the_interval_without_an_export() {
    let server = Server::start_with(&[("GRANTTRAIL_CHECKPOINT_INTERVAL_SECONDS", "1")]);
    let staff = Client::new(&server, &server.token("staff", None));
    // Signing alone neither finalizes nor exports: only the runner's
    // interval can sign this checkpoint.
    staff.sign_seed(None).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let signed = loop {
        let answer = staff.get("/api/v1/log/checkpoint").await;
        if answer.status == 200 {
            break Some(answer.text);
        }
        if std::time::Instant::now() > deadline {
            break None;
        }
        tokio::task::yield_now().await;
    };
    let note = signed.expect("a checkpoint within the interval");
    let checkpoint = Checkpoint::parse(&Note::parse(&note).unwrap().text).unwrap();
    assert_eq!(checkpoint.size, 1);
}

#[tokio::test]
async fn an_import_signs_its_checkpoint_with_the_key_the_server_publishes() {
    let mut server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    // The seed ends finalized, and a finalization is committed to the log
    // at once: the import process itself signs that checkpoint.
    server.import_seed();

    let verifier = verifier(&staff).await;
    let (_, imported) = checkpoint(&staff, &verifier).await;
    assert_eq!(imported.size, 8, "the import's own checkpoint");
    // And a server started afterwards serves the same log with the same key.
    server.restart();
    let staff = Client::new(&server, &server.token("staff", None));
    checkpoint(&staff, &verifier).await;
}
