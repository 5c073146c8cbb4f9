//! The Python verification script of docs/verifying.md, run for real
//! against an exported seed bundle: intact, then with one event altered.
//!
//! It needs `python3` with the `rfc8785` package; `.ci/run` installs it and
//! sets `GRANTTRAIL_PYTHON_VERIFY=1`, so CI always runs this. Elsewhere,
//! without that variable, the test says so and checks only that the script
//! is in the docs.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use granttrail_e2e::{Server, seed_project_through, zip_entries, zip_of};

fn script_from_docs() -> String {
    let docs = include_str!("../../docs/verifying.md");
    let start = docs.find("```python\n").expect("a python block") + "```python\n".len();
    let end = start + docs[start..].find("```").expect("the block ends");
    docs[start..end].to_owned()
}

#[tokio::test]
async fn the_documented_python_script_verifies_a_real_bundle() {
    let script = script_from_docs();
    assert!(script.contains("rfc8785.dumps"));
    if std::env::var("GRANTTRAIL_PYTHON_VERIFY").as_deref() != Ok("1") {
        eprintln!(
            "GRANTTRAIL_PYTHON_VERIFY is not 1: not running the Python verifier (CI runs it)"
        );
        return;
    }
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let bundle = staff
        .get_raw(&format!("/api/v1/projects/{id}/export"))
        .await;
    let bundle = bundle.bytes().await.unwrap().to_vec();
    let dir = server.dir.path();
    std::fs::write(dir.join("verify.py"), script).unwrap();
    std::fs::write(dir.join("seed.zip"), &bundle).unwrap();
    let run = |zip: &str| {
        let out = Command::new("python3")
            .arg(dir.join("verify.py"))
            .arg(dir.join(zip))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, text) = run("seed.zip");
    assert!(ok, "{text}");

    // Alter event 4's data and fix up the manifest's file hash, as a
    // forger would: the chain still catches it.
    let mut files = zip_entries(&bundle);
    let events = files.iter().position(|(n, _)| n == "events.jsonl").unwrap();
    let text = String::from_utf8(files[events].1.clone()).unwrap();
    let altered: Vec<String> = text
        .lines()
        .map(|l| {
            if l.contains("\"version\":4,") {
                l.replace("2023-02-15", "2023-02-16")
            } else {
                l.to_owned()
            }
        })
        .collect();
    files[events].1 = (altered.join("\n") + "\n").into_bytes();
    let manifest = files
        .iter()
        .position(|(n, _)| n == "manifest.json")
        .unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&files[manifest].1).unwrap();
    for entry in json["files"].as_array_mut().unwrap() {
        if entry["name"] == "events.jsonl" {
            use sha2::Digest;
            entry["sha256"] =
                serde_json::Value::from(hex::encode(sha2::Sha256::digest(&files[events].1)));
            entry["size"] = serde_json::Value::from(files[events].1.len());
        }
    }
    files[manifest].1 = serde_json::to_vec_pretty(&json).unwrap();
    std::fs::write(dir.join("forged.zip"), zip_of(&files)).unwrap();
    let (ok, text) = run("forged.zip");
    assert!(!ok);
    assert!(text.contains("event version 4"), "{text}");
}
