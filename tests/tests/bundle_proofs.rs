//! A bundle carries the log's evidence (the checkpoint covering its last
//! event and every event's inclusion proof), and verifying it needs the
//! key the auditor pinned: without one the verdict is not ok; with the
//! wrong one it fails; a changed report whose hash was refreshed in the
//! manifest is named.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Server, seed_project_through, with_forged_file, zip_entries};

/// `granttrail verify --bundle FILE [--public-key KEY]`: exit code and
/// what it printed.
fn verify(bundle: &std::path::Path, key: Option<&std::path::Path>) -> (Option<i32>, String) {
    let mut args = vec![
        "verify".to_owned(),
        "--bundle".to_owned(),
        bundle.display().to_string(),
    ];
    if let Some(key) = key {
        args.extend(["--public-key".to_owned(), key.display().to_string()]);
    }
    let out = std::process::Command::new(granttrail_e2e::binary())
        .args(&args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn a_bundle_proves_its_events_under_the_pinned_key_only() {
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let bundle = staff
        .get_raw(&format!("/api/v1/projects/{id}/export"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let files = zip_entries(&bundle);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"checkpoint.txt") && names.contains(&"proofs.json"),
        "{names:?}"
    );
    let manifest: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
    let key = staff.get("/api/v1/signing-key").await;
    assert_eq!(manifest["key_id"], key.json["key_id"]);

    let dir = server.dir.path();
    let key_file = dir.join("pinned.pub");
    std::fs::write(&key_file, key.json["public_key"].as_str().unwrap()).unwrap();
    let wrong_key = dir.join("wrong.pub");
    std::fs::write(&wrong_key, hex::encode([7u8; 32])).unwrap();
    let original = dir.join("bundle.zip");
    std::fs::write(&original, &bundle).unwrap();

    let (code, said) = verify(&original, Some(&key_file));
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("included in the signed checkpoint of 8 leaves"),
        "{said}"
    );
    let (code, said) = verify(&original, None);
    assert_eq!(code, Some(3), "no pinned key, no ok: {said}");
    assert!(said.contains("Pin the signer's key"), "{said}");
    let (code, said) = verify(&original, Some(&wrong_key));
    assert_eq!(code, Some(1), "{said}");

    // 通过 → 不通过 in the report, its hash refreshed in the manifest.
    let report = files.iter().find(|(n, _)| n == "report.html").unwrap();
    let changed = String::from_utf8(report.1.clone())
        .unwrap()
        .replace("：通过", "：不通过");
    assert_ne!(changed.as_bytes(), report.1.as_slice());
    let forgery = dir.join("forged-report.zip");
    std::fs::write(
        &forgery,
        with_forged_file(&files, "report.html", changed.into_bytes()),
    )
    .unwrap();
    for key in [Some(key_file.as_path()), None] {
        let (code, said) = verify(&forgery, key);
        assert_eq!(code, Some(1), "{said}");
        assert!(said.contains("report.html"), "names the file: {said}");
    }

    // A proof that does not lead to the checkpoint's root.
    let proofs = files.iter().find(|(n, _)| n == "proofs.json").unwrap();
    let mut parsed: serde_json::Value = serde_json::from_slice(&proofs.1).unwrap();
    parsed[2]["leaf_index"] = serde_json::json!(3);
    let forgery = dir.join("forged-proof.zip");
    std::fs::write(
        &forgery,
        with_forged_file(
            &files,
            "proofs.json",
            serde_json::to_vec_pretty(&parsed).unwrap(),
        ),
    )
    .unwrap();
    let (code, said) = verify(&forgery, Some(&key_file));
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("event version 3"), "{said}");
}
