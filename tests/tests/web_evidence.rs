//! Evidence from the browser: the project page's file form streams the
//! file to the same staging the API's upload uses; the file is listed,
//! downloads checked against its hash, and a wrong kind of file or a form
//! from elsewhere writes nothing.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::web::{browser, hidden, page_text, sign_in};
use granttrail_e2e::{Client, Server};
use reqwest::multipart::{Form, Part};
use sha2::{Digest, Sha256};

/// The part of `page` from the file form on.
fn upload_form(page: &str) -> &str {
    let at = page
        .find("id=\"form-attach\"")
        .unwrap_or_else(|| panic!("no file form in the page:\n{page}"));
    &page[at..]
}

fn form_with(csrf: &str, form: &str, evidences: &str, name: &str, bytes: Vec<u8>) -> Form {
    Form::new()
        .text("csrf", csrf.to_owned())
        .text("idempotency_key", hidden(form, "idempotency_key"))
        .text("version", hidden(form, "version"))
        .text("evidences", evidences.to_owned())
        .part("file", Part::bytes(bytes).file_name(name.to_owned()))
}

async fn version_of(staff: &Client, id: &str) -> u64 {
    staff.get(&format!("/api/v1/projects/{id}")).await.json["version"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_file_attached_in_the_browser_is_listed_and_downloads_unchanged() {
    let server = Server::start();
    let token = server.token("staff", None);
    let staff = Client::new(&server, &token);
    let id = staff.sign_seed(Some("WEB-EVIDENCE-1")).await;
    let indicator = staff.get(&format!("/api/v1/projects/{id}")).await.json["indicators"][0]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = browser();
    let csrf = sign_in(&server, &browser, &token).await;
    let page = page_text(&browser, &server, &format!("/ui/projects/{id}")).await;

    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend_from_slice("签到表 sign-in sheet".as_bytes());
    pdf.resize(300_000, b'x');
    let sent = browser
        .post(server.url(&format!("/ui/projects/{id}/attachments")))
        .multipart(form_with(
            &csrf,
            upload_form(&page),
            &format!("indicator:{indicator}"),
            "签到表.pdf",
            pdf.clone(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.status().as_u16(),
        303,
        "{}",
        sent.text().await.unwrap()
    );
    assert!(
        sent.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("?done=attach#evidence")
    );

    let state = staff.get(&format!("/api/v1/projects/{id}")).await;
    let attachment = &state.json["attachments"][0];
    let sha256 = hex::encode(Sha256::digest(&pdf));
    assert_eq!(attachment["sha256"], sha256.as_str());
    assert_eq!(attachment["name"], "签到表.pdf");
    assert_eq!(attachment["media_type"], "application/pdf");
    assert_eq!(attachment["evidences"]["indicator"], indicator.as_str());

    let page = page_text(&browser, &server, &format!("/ui/projects/{id}")).await;
    assert!(page.contains("签到表.pdf"), "the file is listed");
    let download = browser
        .get(server.url(&format!("/ui/projects/{id}/attachments/{sha256}")))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''%E7%AD%BE")
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), pdf.as_slice());
}

#[tokio::test]
async fn a_wrong_kind_of_file_or_a_form_from_elsewhere_writes_nothing() {
    let server = Server::start();
    let token = server.token("staff", None);
    let staff = Client::new(&server, &token);
    let id = staff.sign_seed(Some("WEB-EVIDENCE-2")).await;
    let browser = browser();
    let csrf = sign_in(&server, &browser, &token).await;
    let page = page_text(&browser, &server, &format!("/ui/projects/{id}")).await;
    let before = version_of(&staff, &id).await;

    let program = b"\x7fELF\x02\x01\x01\x00not evidence".to_vec();
    let refused = browser
        .post(server.url(&format!("/ui/projects/{id}/attachments")))
        .multipart(form_with(
            &csrf,
            upload_form(&page),
            "project",
            "run.pdf",
            program,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 415);
    let shown = refused.text().await.unwrap();
    assert!(shown.contains("id=\"upload-error\""), "{shown}");

    let forged = browser
        .post(server.url(&format!("/ui/projects/{id}/attachments")))
        .multipart(form_with(
            "not-the-form-token",
            upload_form(&page),
            "project",
            "a.pdf",
            b"%PDF-1.4\nforged".to_vec(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);

    assert_eq!(version_of(&staff, &id).await, before, "nothing was written");
    let state = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert!(
        state.json["attachments"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{}",
        state.text
    );
}

#[tokio::test]
async fn an_auditor_sees_the_evidence_but_no_file_form() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(Some("WEB-EVIDENCE-3")).await;
    let auditor = server.token("auditor", None);
    let browser = browser();
    sign_in(&server, &browser, &auditor).await;
    let page = page_text(&browser, &server, &format!("/ui/projects/{id}")).await;
    assert!(page.contains("id=\"evidence\""), "{page}");
    assert!(!page.contains("id=\"form-attach\""));
}

#[tokio::test]
async fn the_same_form_sent_twice_attaches_once_and_a_withdrawal_is_shown() {
    let server = Server::start();
    let token = server.token("staff", None);
    let staff = Client::new(&server, &token);
    let id = staff.sign_seed(Some("WEB-EVIDENCE-4")).await;
    let browser = browser();
    let csrf = sign_in(&server, &browser, &token).await;
    let page = page_text(&browser, &server, &format!("/ui/projects/{id}")).await;
    let form = upload_form(&page).to_owned();
    let pdf = b"%PDF-1.4\nbudget and final accounts".to_vec();
    for _ in 0..2 {
        let sent = browser
            .post(server.url(&format!("/ui/projects/{id}/attachments")))
            .multipart(form_with(
                &csrf,
                &form,
                "finance_check:budget",
                "预决算表.pdf",
                pdf.clone(),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            sent.status().as_u16(),
            303,
            "{}",
            sent.text().await.unwrap()
        );
    }
    assert_eq!(version_of(&staff, &id).await, 2, "written once");

    let sha256 = hex::encode(Sha256::digest(&pdf));
    let withdrawn = staff
        .post(
            &format!("/api/v1/projects/{id}/attachment-withdrawals"),
            &serde_json::json!({"withdrawn_on": "2023-01-05", "sha256": sha256, "reason": "superseded by the audited accounts"}),
            Some(2),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let page = page_text(&browser, &server, &format!("/ui/projects/{id}")).await;
    assert!(page.contains("class=\"withdrawn\""), "{page}");
    assert!(page.contains("superseded by the audited accounts"));
}

#[tokio::test]
async fn an_overlong_field_before_the_file_is_refused_and_writes_nothing() {
    let server = Server::start();
    let token = server.token("staff", None);
    let staff = Client::new(&server, &token);
    let id = staff.sign_seed(Some("WEB-EVIDENCE-5")).await;
    let browser = browser();
    let csrf = sign_in(&server, &browser, &token).await;
    // A megabyte where a short choice goes: refused as it is read.
    let form = Form::new()
        .text("csrf", csrf)
        .text("evidences", "c".repeat(1_000_000))
        .part(
            "file",
            Part::bytes(b"%PDF-1.4\n".to_vec()).file_name("b.pdf"),
        );
    let sent = browser
        .post(server.url(&format!("/ui/projects/{id}/attachments")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 400);
    let shown = sent.text().await.unwrap();
    assert!(shown.contains("longer than 4096 bytes"), "{shown}");
    assert_eq!(version_of(&staff, &id).await, 1, "nothing was written");
}
