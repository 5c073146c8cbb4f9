//! Signed compliance bundles, exported over HTTP and by the CLI, verified
//! offline; every tampered file and the signature are caught.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Server, seed_project_through, zip_entries, zip_of};

#[tokio::test]
async fn a_bundle_verifies_offline_and_every_tampered_file_is_named() {
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let response = staff
        .get_raw(&format!("/api/v1/projects/{id}/export"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bundle = response.bytes().await.unwrap().to_vec();
    let files = zip_entries(&bundle);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "manifest.json",
        "manifest.sig",
        "events.jsonl",
        "audit-trail.csv",
        "state.json",
        "report.zh-CN.md",
        "report.en.md",
        "report.html",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let manifest: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(manifest["event_count"], 8);
    assert_eq!(manifest["hash_algorithm"], "sha256-jcs-rfc8785-v1");

    // The key was made on first start, readable by its owner only, and the
    // CLI prints the same public key the API serves.
    let key_path = server.signing_key_file();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_path).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "owner-only signing key");
    let printed = String::from_utf8(server.cli(&["signing-key"]).stdout).unwrap();
    let key = staff.get("/api/v1/signing-key").await;
    assert_eq!(
        printed.lines().next().unwrap(),
        key.json["public_key"].as_str().unwrap()
    );
    let key_file = server.dir.path().join("public-key");
    std::fs::write(&key_file, key.json["public_key"].as_str().unwrap()).unwrap();
    let bundle_file = server.dir.path().join("seed.zip");
    std::fs::write(&bundle_file, &bundle).unwrap();
    let verify = |path: &std::path::Path| granttrail_e2e::verify_bundle_offline(path, &key_file);
    let (ok, text) = verify(&bundle_file);
    assert!(ok, "an intact bundle verifies without a database: {text}");

    for (index, (name, _)) in files.iter().enumerate() {
        let mut tampered = files.clone();
        let bytes = &mut tampered[index].1;
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        let path = server.dir.path().join(format!("tampered-{index}.zip"));
        std::fs::write(&path, zip_of(&tampered)).unwrap();
        let (ok, text) = verify(&path);
        assert!(!ok, "a flipped byte in {name} is caught");
        // A flipped byte in the manifest breaks its signature or a hash it
        // lists; either way the message is about the manifest.
        let named = match name.as_str() {
            "manifest.json" | "manifest.sig" => "manifest",
            other => other,
        };
        assert!(text.contains(named), "{name}: {text}");
    }

    // The CLI writes the same kind of bundle.
    let out = server.dir.path().join("cli.zip");
    let export = server.cli(&["export", &id, "--out", out.to_str().unwrap()]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert!(verify(&out).0);
    let all = server.dir.path().join("all");
    assert!(
        server
            .cli(&["export", "--all", "--out", all.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(std::fs::read_dir(&all).unwrap().count(), 1);
}
