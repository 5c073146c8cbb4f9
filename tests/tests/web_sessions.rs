//! The web view's sign-in and forms, over plain HTTP (the browser suite,
//! tests/web_ui.rs, drives the same pages in Chromium): a token is
//! exchanged once for a session cookie; a form without the session's form
//! token, a cross-site post and an expired session are each refused, and
//! nothing is written; another organisation's project answers as the API
//! does.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::web::{browser, hidden, page_text, sign_in, status_of};
use granttrail_e2e::{Client, Server};

/// A server, a staff API client, a project signed with `code`, and a
/// browser signed in as that staff member with its form token.
struct Setup {
    server: Server,
    staff: Client,
    id: String,
    browser: reqwest::Client,
    csrf: String,
    token: String,
}

async fn staff_with_project(code: &str) -> Setup {
    let server = Server::start();
    let token = server.token("staff", None);
    let staff = Client::new(&server, &token);
    let id = staff.sign_seed(Some(code)).await;
    let browser = browser();
    let csrf = sign_in(&server, &browser, &token).await;
    Setup {
        server,
        staff,
        id,
        browser,
        csrf,
        token,
    }
}

async fn version_of(staff: &Client, id: &str) -> u64 {
    staff.get(&format!("/api/v1/projects/{id}")).await.json["version"]
        .as_u64()
        .unwrap()
}

fn extension(csrf: &str, version: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_owned()),
        ("version", version.to_owned()),
        ("idempotency_key", uuid::Uuid::now_v7().to_string()),
        ("decided_on", "2022-09-30".to_owned()),
        ("new_end", "2023-02-28".to_owned()),
        ("reason", "疫情影响".to_owned()),
    ]
}

#[tokio::test]
async fn a_session_form_records_once_and_refuses_forms_from_elsewhere() {
    let Setup {
        server,
        staff,
        id,
        browser,
        csrf,
        ..
    } = staff_with_project("WEB-1").await;
    let action = server.url(&format!("/ui/projects/{id}/commands/extend"));

    // Without the form token: refused, nothing written.
    let mut form = extension(&csrf, "1");
    form.retain(|(k, _)| *k != "csrf");
    let refused = browser.post(&action).form(&form).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    // From another site (its Origin), even with the token: refused.
    let cross = browser
        .post(&action)
        .header("origin", "https://evil.example")
        .form(&extension(&csrf, "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 403);
    assert_eq!(version_of(&staff, &id).await, 1, "nothing was written");

    // The form as the page sends it: recorded once, even sent twice.
    let form = extension(&csrf, "1");
    for _ in 0..2 {
        let sent = browser.post(&action).form(&form).send().await.unwrap();
        assert_eq!(
            sent.status().as_u16(),
            303,
            "{}",
            sent.text().await.unwrap()
        );
    }
    assert_eq!(
        version_of(&staff, &id).await,
        2,
        "a double submit writes once"
    );

    // A stale page (version 1) is told what changed, and nothing is written.
    let stale = browser
        .post(&action)
        .form(&extension(&csrf, "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status().as_u16(), 409);
    let text = stale.text().await.unwrap();
    assert!(
        text.contains("第 2 版") || text.contains("version 2"),
        "{text}"
    );
    assert_eq!(version_of(&staff, &id).await, 2);
}

#[tokio::test]
async fn an_expired_or_ended_session_writes_nothing() {
    let Setup {
        server,
        staff,
        id,
        browser,
        csrf,
        token,
    } = staff_with_project("WEB-2").await;
    let action = server.url(&format!("/ui/projects/{id}/commands/extend"));

    // The session's time is up (as if hours passed).
    server.sql("UPDATE sessions SET expires_at = '2000-01-01T00:00:00Z'");
    let expired = browser
        .post(&action)
        .form(&extension(&csrf, "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status().as_u16(), 401);
    let page = browser
        .get(server.url("/ui/projects"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 303, "a page read goes to sign in");
    assert!(
        page.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/ui/login")
    );
    assert_eq!(version_of(&staff, &id).await, 1, "nothing was written");

    // Signing out ends the session in the store, not only in the browser.
    let csrf = sign_in(&server, &browser, &token).await;
    let out = browser
        .post(server.url("/ui/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    assert_eq!(
        server.sql("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL"),
        Some("1".to_owned()),
        "the expired session and the ended one; only the first sign-in's is left open"
    );
}

#[tokio::test]
async fn another_organisations_project_is_the_same_not_found_as_in_the_api() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(Some("WEB-3")).await;
    let outsider = server.token("executor", Some("another-org"));
    let browser = browser();
    sign_in(&server, &browser, &outsider).await;
    for path in [
        format!("/ui/projects/{id}"),
        format!("/ui/projects/{id}/audit"),
        format!("/ui/projects/{id}/verification"),
        format!("/ui/projects/{id}/export"),
        format!("/ui/projects/{}", uuid::Uuid::now_v7()),
    ] {
        let answer = browser.get(server.url(&path)).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 404, "{path}");
    }
    let list = page_text(&browser, &server, "/ui/projects").await;
    assert!(!list.contains("WEB-3"), "{list}");
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let server = Server::start();
    let browser = browser();
    let page = browser.get(server.url("/ui/login")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(page.headers().contains_key("referrer-policy"));
    let body = page.text().await.unwrap();
    assert!(!body.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn every_page_answers_in_both_languages() {
    let server = Server::start();
    let (staff, finalized) = granttrail_e2e::seed_project_through(&server, 8).await;
    let open = staff.sign_seed(Some("WEB-4")).await;
    let browser = browser();
    sign_in(&server, &browser, &server.token("staff", None)).await;
    let pages = [
        "/ui/projects".to_owned(),
        "/ui/projects?q=web&stage=signed&overdue=false&signed_from=2022-01-01".to_owned(),
        "/ui/projects/new".to_owned(),
        format!("/ui/projects/{finalized}"),
        format!("/ui/projects/{finalized}?version=3"),
        format!("/ui/projects/{finalized}?as_of=2022-10-01"),
        format!("/ui/projects/{finalized}?known_at=2100-01-01T00:00:00Z"),
        format!("/ui/projects/{finalized}/audit"),
        format!("/ui/projects/{finalized}/verification"),
        format!("/ui/projects/{finalized}/report?lang=en"),
        format!("/ui/projects/{finalized}/report?lang=zh-CN"),
        format!("/ui/projects/{open}"),
    ];
    for lang in ["zh-CN", "en"] {
        for path in &pages {
            let answer = browser
                .get(server.url(path))
                .header("accept-language", lang)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let text = answer.text().await.unwrap();
            assert_eq!(status, 200, "{lang} {path}:\n{text}\n{}", server.log());
        }
    }
    // The pages are in the language asked for.
    let zh = browser
        .get(server.url(&format!("/ui/projects/{open}")))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(zh.contains("延期变更") && zh.contains("时间线"), "{zh}");
    let en = browser
        .get(server.url(&format!("/ui/projects/{open}")))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        en.contains("Extend the period") && en.contains("Timeline"),
        "{en}"
    );
}

#[tokio::test]
async fn a_long_history_shows_its_newest_events_and_links_to_earlier_ones() {
    let Setup {
        server,
        staff,
        id,
        browser,
        ..
    } = staff_with_project("WEB-LONG").await;
    let mut end = chrono::NaiveDate::from_ymd_opt(2022, 10, 10).unwrap();
    for version in 1..=120u64 {
        end = end.succ_opt().unwrap();
        let body = serde_json::json!({
            "decided_on": "2022-09-30",
            "new_end": end.to_string(),
            "reason": "延期"
        });
        let answer = staff
            .post(
                &format!("/api/v1/projects/{id}/extensions"),
                &body,
                Some(version),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let page = page_text(&browser, &server, &format!("/ui/projects/{id}")).await;
    assert_eq!(
        page.matches("<li id=\"v").count(),
        100,
        "one page of events"
    );
    assert!(page.contains("id=\"v121\"") && !page.contains("id=\"v21\""));
    // (minijinja writes the link's slashes as &#x2f;.)
    assert!(
        page.contains("?before=22#timeline"),
        "a link to the earlier events: {page}"
    );
    let older = page_text(&browser, &server, &format!("/ui/projects/{id}?before=22")).await;
    assert_eq!(older.matches("<li id=\"v").count(), 21);
    assert!(older.contains("id=\"v1\""));
}

#[tokio::test]
async fn every_project_is_exported_in_the_background_with_progress() {
    let server = Server::start();
    let token = server.token("auditor", None);
    let staff = Client::new(&server, &server.token("staff", None));
    let first = staff.sign_seed(Some("WEB-E1")).await;
    let second = staff.sign_seed(Some("WEB-E2")).await;
    // One project altered under the store: named in the export, not left out.
    server.tamper(
        "UPDATE events SET data = replace(data, 'WEB-E2', 'WEB-E9') WHERE stream_id = {id}",
        &second,
    );
    let browser = browser();
    let csrf = sign_in(&server, &browser, &token).await;
    let started = browser
        .post(server.url("/ui/exports"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status().as_u16(), 303);
    let job = started.headers()["location"].to_str().unwrap().to_owned();
    // The job page says when it is done (it refreshes itself until then).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let page = loop {
        let page = page_text(&browser, &server, &job).await;
        if page.contains("id=\"export-done\"") {
            break page;
        }
        assert!(page.contains("<progress"), "{page}");
        assert!(
            std::time::Instant::now() < deadline,
            "the export never finished: {page}"
        );
        tokio::task::yield_now().await;
    };
    assert!(
        page.contains("1 个项目无法读取") || page.contains("1 projects could not be read"),
        "{page}"
    );
    let zip = browser
        .get(server.url(&format!("{job}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status().as_u16(), 200);
    let files = granttrail_e2e::zip_entries(&zip.bytes().await.unwrap());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&format!("granttrail-{first}.zip").as_str()),
        "{names:?}"
    );
    assert!(!names.contains(&format!("granttrail-{second}.zip").as_str()));
    let unreadable = &files.iter().find(|(n, _)| n == "unreadable.csv").unwrap().1;
    let unreadable = String::from_utf8_lossy(unreadable);
    assert!(
        unreadable.contains(&format!("{second},integrity-failed")),
        "{unreadable}"
    );

    // Another session does not see this job.
    let other = self::browser();
    sign_in(&server, &other, &server.token("auditor", None)).await;
    let foreign = other.get(server.url(&job)).send().await.unwrap();
    assert_eq!(foreign.status().as_u16(), 404);
}

#[tokio::test]
async fn revoking_the_token_ends_its_sessions_at_once() {
    let Setup {
        server, browser, ..
    } = staff_with_project("WEB-R").await;
    let admin = Client::new(&server, &server.admin);
    let id = admin
        .get("/api/v1/tokens")
        .await
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "staff")
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .unwrap();
    let revoked = admin
        .request(reqwest::Method::DELETE, &format!("/api/v1/tokens/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 204);
    assert_eq!(
        status_of(&browser, &server, "/ui/projects").await,
        303,
        "the session went with its token"
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_a_tls_proxy() {
    let server = Server::start();
    let token = server.token("staff", None);
    let browser = browser();
    let login = page_text(&browser, &server, "/ui/login").await;
    let csrf = hidden(&login, "csrf");
    let signed = browser
        .post(server.url("/ui/login"))
        .header("x-forwarded-proto", "https")
        .form(&[("token", token.as_str()), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    let cookie = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("granttrail_session="))
        .expect("a session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn the_drafts_author_is_told_in_the_form_that_someone_else_must_finalize() {
    let server = Server::start();
    let (staff, id) = granttrail_e2e::seed_project_through(&server, 7).await;
    let browser = browser();
    // The staff token that wrote both drafts signs in to finalize.
    let csrf = sign_in(&server, &browser, staff.token()).await;
    let finalize = vec![
        ("csrf", csrf),
        ("version", "7".to_owned()),
        ("idempotency_key", uuid::Uuid::now_v7().to_string()),
        ("finalized_on", "2023-02-28".to_owned()),
        ("approved_by", "成都市金堂社区发展基金会".to_owned()),
    ];
    let refused = browser
        .post(server.url(&format!("/ui/projects/{id}/commands/finalize")))
        .header("accept-language", "zh-CN")
        .form(&finalize)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let text = refused.text().await.unwrap();
    assert!(text.contains("双人复核"), "{text}");
    assert_eq!(version_of(&staff, &id).await, 7, "nothing was written");
}

#[tokio::test]
async fn the_project_page_marks_corrected_values_and_lists_mid_term_evaluations() {
    let server = Server::start();
    let (staff, id) = granttrail_e2e::seed_project_through(&server, 2).await;
    let (route, body) = granttrail_e2e::midterm_command();
    let recorded = staff
        .post(&format!("/api/v1/projects/{id}{route}"), &body, Some(2))
        .await;
    assert_eq!(recorded.status, 200, "{}", recorded.text);
    let (route, body) = granttrail_e2e::correction_command();
    let corrected = staff
        .post(&format!("/api/v1/projects/{id}{route}"), &body, Some(3))
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text);
    let browser = browser();
    sign_in(&server, &browser, staff.token()).await;
    let page = page_text(&browser, &server, &format!("/ui/projects/{id}?lang=zh-CN")).await;
    assert!(page.contains("<caption>更正说明</caption>"), "{page}");
    assert!(
        page.contains("<mark>全龄友好社区自组织培育扶持项目</mark>"),
        "{page}"
    );
    assert!(
        page.contains("自组织培育的深度和广度不够"),
        "the mid-term finding"
    );
}

#[tokio::test]
async fn disabling_the_user_ends_their_sessions_at_once() {
    let Setup {
        server,
        browser,
        staff,
        ..
    } = staff_with_project("WEB-U").await;
    let admin = Client::new(&server, &server.admin);
    // The staff token's user: made with the token, under the token's id.
    let events = admin.get("/api/v1/projects").await;
    let id = events.json["items"][0]["id"].as_str().unwrap().to_owned();
    let signed = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    let user = signed.json[0]["actor"]["id"].as_str().unwrap().to_owned();
    let disabled = admin
        .post(
            &format!("/api/v1/users/{user}/disable"),
            &serde_json::json!({}),
            None,
        )
        .await;
    assert_eq!(disabled.status, 204, "{}", disabled.text);
    assert_eq!(
        status_of(&browser, &server, "/ui/projects").await,
        303,
        "the session went with its user"
    );
}
