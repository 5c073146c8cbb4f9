//! A second key cosigns checkpoints (the foundation's supervisor, a
//! donor): only after the log's own signature and the log's growth since
//! its last cosignature check out; bundles carry the cosignatures and
//! verification can require them.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Server, seed_project_through};
use granttrail_tlog::note::{Note, NoteVerifier};

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_witness_cosigns_a_growing_log_and_bundles_can_require_it() {
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let dir = server.dir.path();
    let path = |name: &str| dir.join(name).display().to_string();
    let keys = staff.get("/api/v1/signing-key").await;
    std::fs::write(
        dir.join("log.vkey"),
        keys.json["log_verifier_key"].as_str().unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("signer.pub"),
        keys.json["public_key"].as_str().unwrap(),
    )
    .unwrap();

    let made = ok(&server.cli(&[
        "cosign",
        "--init",
        "--key",
        &path("sup.key"),
        "--name",
        "supervisor.example",
    ]));
    let witness = NoteVerifier::parse(made.trim()).unwrap();
    std::fs::write(dir.join("sup.vkey"), witness.encode()).unwrap();
    let cosign = || {
        server.cli(&[
            "cosign",
            "--key",
            &path("sup.key"),
            "--name",
            "supervisor.example",
            "--log-key",
            &path("log.vkey"),
        ])
    };
    assert!(ok(&cosign()).contains("cosigned the checkpoint of 8 leaves"));

    let served = staff.get("/api/v1/log/checkpoint").await.text;
    let note = Note::parse(&served).unwrap();
    assert_eq!(note.signatures.len(), 2, "{served}");
    note.verify(&NoteVerifier::parse(keys.json["log_verifier_key"].as_str().unwrap()).unwrap())
        .unwrap();
    note.verify(&witness).unwrap();

    // The log grows; the witness checks consistency from 8 and cosigns 9.
    staff.sign_seed(Some("COSIGNED")).await;
    let _ = staff
        .get_raw(&format!("/api/v1/projects/{id}/export"))
        .await;
    assert!(ok(&cosign()).contains("cosigned the checkpoint of 9 leaves"));

    // A bundle made now carries the cosigned checkpoint.
    let bundle = staff
        .get_raw(&format!("/api/v1/projects/{id}/export"))
        .await
        .bytes()
        .await
        .unwrap();
    std::fs::write(dir.join("b.zip"), &bundle).unwrap();
    let verify = |required: &str| {
        std::process::Command::new(granttrail_e2e::binary())
            .args([
                "verify",
                "--bundle",
                &path("b.zip"),
                "--public-key",
                &path("signer.pub"),
                "--require-cosigner",
                &path(required),
            ])
            .output()
            .unwrap()
    };
    ok(&verify("sup.vkey"));
    let other = NoteVerifier::new(
        "donor.example",
        ed25519_dalek::SigningKey::from_bytes(&[5; 32]).verifying_key(),
    )
    .unwrap();
    std::fs::write(dir.join("donor.vkey"), other.encode()).unwrap();
    let refused = verify("donor.vkey");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("required cosigner"));

    // The witness will not cosign for a log key it was not given.
    let wrong = NoteVerifier::new(
        "granttrail.invalid/log",
        ed25519_dalek::SigningKey::from_bytes(&[6; 32]).verifying_key(),
    )
    .unwrap();
    std::fs::write(dir.join("wrong.vkey"), wrong.encode()).unwrap();
    let refused = server.cli(&[
        "cosign",
        "--key",
        &path("sup.key"),
        "--name",
        "supervisor.example",
        "--log-key",
        &path("wrong.vkey"),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("REFUSED"));
}
