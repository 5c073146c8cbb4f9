//! Evidence over HTTP: an upload streamed, kept by its hash and read back
//! equal; a blob altered on disk is detected on read; oversized,
//! wrong-type and path-named uploads are refused and write nothing;
//! another organisation neither attaches nor reads.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Answer, Client, Server, answer};
use sha2::{Digest, Sha256};

/// A small but real PDF.
fn pdf() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 4096));
    bytes.extend(b"\n%%EOF\n");
    bytes
}

async fn upload(client: &Client, id: &str, query: &str, bytes: Vec<u8>, version: u64) -> Answer {
    let request = client
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/projects/{id}/attachments?{query}"),
        )
        .header("content-type", "application/octet-stream")
        .header("if-match", format!("\"{version}\""))
        .body(bytes);
    answer(request.send().await.unwrap()).await
}

#[tokio::test]
async fn an_upload_reads_back_byte_for_byte_and_an_altered_blob_is_not_served() {
    let server = Server::start();
    let (staff, id) = granttrail_e2e::seed_project_through(&server, 3).await;
    let bytes = pdf();
    let sha = hex::encode(Sha256::digest(&bytes));
    let added = upload(
        &staff,
        &id,
        "name=%E5%88%86%E4%BA%AB%E5%9B%BE%E9%9B%86.pdf&of=indicator&indicator=sharing_booklets",
        bytes.clone(),
        3,
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(added.json["attachments"][0]["sha256"], sha);
    assert_eq!(
        added.json["attachments"][0]["media_type"],
        "application/pdf"
    );
    assert_eq!(added.json["attachments"][0]["name"], "分享图集.pdf");

    let got = staff
        .get_raw(&format!("/api/v1/projects/{id}/attachments/{sha}"))
        .await;
    assert_eq!(got.status().as_u16(), 200);
    let disposition = got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''%E5%88%86"),
        "{disposition}"
    );
    let body = got.bytes().await.unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&body)),
        sha,
        "bytes and hash equal"
    );

    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    assert_eq!(events.json[3]["type"], "AttachmentAdded");

    if server.is_sqlite() {
        // A byte changed on disk behind the server's back.
        let blob = format!(
            "{}.blobs/{}/{sha}",
            server.database_file().display(),
            &sha[..2]
        );
        let mut altered = std::fs::read(&blob).unwrap();
        altered[20] ^= 1;
        std::fs::write(&blob, altered).unwrap();
    } else {
        server.sql(&format!(
            "UPDATE blobs SET bytes = overlay(bytes placing '\\x00'::bytea from 20 for 1) WHERE sha256 = '{sha}'"
        ));
    }
    let refused = staff
        .get(&format!("/api/v1/projects/{id}/attachments/{sha}"))
        .await;
    assert_eq!(refused.status, 503, "{}", refused.text);
    assert_eq!(refused.json["code"], "attachment-damaged");
    // And the operator's whole-store check names it.
    let verify = server.cli(&["verify"]);
    assert_eq!(verify.status.code(), Some(1));
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(
        out.contains(&format!("attachment {sha}")) && out.contains("no longer match"),
        "{out}"
    );
}

#[tokio::test]
async fn oversized_wrong_type_and_path_named_uploads_are_refused_and_write_nothing() {
    let server = Server::start_with(&[("GRANTTRAIL_ATTACHMENT_MAX_BYTES", "2048")]);
    let (staff, id) = granttrail_e2e::seed_project_through(&server, 2).await;
    let too_big = upload(&staff, &id, "name=big.pdf", pdf(), 2).await;
    assert_eq!(too_big.status, 413, "{}", too_big.text);
    assert_eq!(too_big.json["code"], "too-large");
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend([0u8; 64]);
    let program = upload(&staff, &id, "name=report.pdf", elf, 2).await;
    assert_eq!(program.status, 415, "{}", program.text);
    assert_eq!(program.json["code"], "unsupported-media-type");
    let path = upload(
        &staff,
        &id,
        "name=..%2F..%2Fetc%2Fpasswd",
        b"plain text".to_vec(),
        2,
    )
    .await;
    assert_eq!(path.status, 422, "{}", path.text);
    assert_eq!(path.json["errors"][0]["pointer"], "/name");
    let state = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(state.json["version"], 2, "nothing was written");
    assert!(state.json["attachments"].is_null());
}

#[tokio::test]
async fn another_organisation_neither_attaches_nor_reads() {
    let server = Server::start();
    let (staff, id) = granttrail_e2e::seed_project_through(&server, 2).await;
    let added = upload(
        &staff,
        &id,
        "name=sign-in.txt&of=project",
        b"sign-in sheet\n".to_vec(),
        2,
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.text);
    let sha = added.json["attachments"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = Client::new(&server, &server.token("executor", Some("someone-else")));
    let attach = upload(&stranger, &id, "name=x.txt", b"hello\n".to_vec(), 3).await;
    assert_eq!(
        attach.status, 403,
        "executors do not attach: {}",
        attach.text
    );
    let read = stranger
        .get(&format!("/api/v1/projects/{id}/attachments/{sha}"))
        .await;
    assert_eq!(read.status, 404);
    let own = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    let mine = own
        .get(&format!("/api/v1/projects/{id}/attachments/{sha}"))
        .await;
    assert_eq!(mine.status, 200, "its own organisation reads it");
}

#[tokio::test]
async fn a_bundle_carries_the_attachments_verifies_offline_and_fails_on_one_changed_byte() {
    let server = Server::start();
    let (staff, id) = granttrail_e2e::seed_project_through(&server, 8).await;
    let bytes = pdf();
    let sha = hex::encode(Sha256::digest(&bytes));
    // A finalized project still takes evidence.
    let added = upload(
        &staff,
        &id,
        "name=vouchers.pdf&of=finance_check&check=vouchers",
        bytes.clone(),
        8,
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.text);
    let bundle = staff
        .get_raw(&format!("/api/v1/projects/{id}/export"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let files = granttrail_e2e::zip_entries(&bundle);
    let name = format!("attachments/{sha}");
    let (_, carried) = files
        .iter()
        .find(|(n, _)| *n == name)
        .expect("the bytes are in the bundle");
    assert_eq!(carried, &bytes);

    let key = staff.get("/api/v1/signing-key").await;
    let key_file = server.dir.path().join("public-key");
    std::fs::write(&key_file, key.json["public_key"].as_str().unwrap()).unwrap();
    let verify = |zip: &[u8]| {
        let path = server
            .dir
            .path()
            .join(format!("b-{}.zip", uuid::Uuid::now_v7()));
        std::fs::write(&path, zip).unwrap();
        granttrail_e2e::verify_bundle_offline(&path, &key_file)
    };
    let (ok, text) = verify(&bundle);
    assert!(ok, "{text}");
    let mut tampered = files.clone();
    let entry = tampered.iter_mut().find(|(n, _)| *n == name).unwrap();
    entry.1[10] ^= 1;
    let (ok, text) = verify(&granttrail_e2e::zip_of(&tampered));
    assert!(!ok, "one changed byte of an attachment fails the bundle");
    assert!(text.contains(&name), "{text}");
}
