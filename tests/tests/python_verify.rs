//! The Python verification script of docs/verifying.md, run for real:
//! against an exported seed bundle (intact with the pinned key, without a
//! key, forged), and against a checkpoint kept before a rehashed forgery.
//!
//! It needs `python3` with `rfc8785` and `cryptography`, so the run is an
//! ignored test: `make test` reports it as ignored (a skip, not a pass),
//! and `make test-python` — which `.ci/run` calls after installing both
//! packages — runs it. The script being in the docs is checked always.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use granttrail_e2e::{Server, seed_project_through, with_forged_file, zip_entries};

fn script_from_docs() -> String {
    let docs = include_str!("../../docs/verifying.md");
    let start = docs.find("```python\n").expect("a python block") + "```python\n".len();
    let end = start + docs[start..].find("```").expect("the block ends");
    docs[start..end].to_owned()
}

fn python(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new("python3")
        .arg(dir.join("verify.py"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_documented_python_script_is_in_the_docs() {
    let script = script_from_docs();
    assert!(script.contains("rfc8785.dumps") && script.contains("def verify_consistency"));
}

#[tokio::test]
#[ignore = "needs python3 with rfc8785 and cryptography: `make test-python` (CI runs it)"]
async fn the_documented_python_script_verifies_bundles_and_kept_checkpoints() {
    let script = script_from_docs();
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let bundle = staff
        .get_raw(&format!("/api/v1/projects/{id}/export"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let dir = server.dir.path();
    std::fs::write(dir.join("verify.py"), script).unwrap();
    std::fs::write(dir.join("seed.zip"), &bundle).unwrap();
    let keys = staff.get("/api/v1/signing-key").await;
    std::fs::write(
        dir.join("signer.pub"),
        keys.json["public_key"].as_str().unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("log.vkey"),
        keys.json["log_verifier_key"].as_str().unwrap(),
    )
    .unwrap();
    let path = |name: &str| dir.join(name).display().to_string();

    let (code, said) = python(dir, &["bundle", &path("seed.zip"), &path("signer.pub")]);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("included in the checkpoint of 8 leaves"),
        "{said}"
    );
    let (code, said) = python(dir, &["bundle", &path("seed.zip")]);
    assert_eq!(code, Some(3), "no key, no ok: {said}");

    // 通过 → 不通过 in the report, its hash refreshed in the manifest: only
    // the signature under the pinned key can catch it, and does.
    let files = zip_entries(&bundle);
    let report = files.iter().find(|(n, _)| n == "report.html").unwrap();
    let changed = String::from_utf8(report.1.clone())
        .unwrap()
        .replace("：通过", "：不通过");
    std::fs::write(
        dir.join("forged.zip"),
        with_forged_file(&files, "report.html", changed.into_bytes()),
    )
    .unwrap();
    let (code, said) = python(dir, &["bundle", &path("forged.zip"), &path("signer.pub")]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("manifest.sig"), "{said}");

    // A checkpoint kept now convicts a rehashed forgery made later.
    let checkpoint = staff.get("/api/v1/log/checkpoint").await.text;
    std::fs::write(dir.join("checkpoint.txt"), checkpoint).unwrap();
    let auditor = server.token("auditor", None);
    let against = |dir: &std::path::Path| {
        python(
            dir,
            &[
                "against",
                &path("checkpoint.txt"),
                &path("log.vkey"),
                &server.base,
                &auditor,
            ],
        )
    };
    let (code, said) = against(dir);
    assert_eq!(code, Some(0), "{said}");
    let events = staff
        .get(&format!("/api/v1/projects/{id}/events"))
        .await
        .json;
    granttrail_e2e::rehash_forgery(&server, &id, events.as_array().unwrap(), 5);
    let (code, said) = against(dir);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(&format!("position {}", events[4]["position"])) && said.contains("version 5"),
        "{said}"
    );
}
