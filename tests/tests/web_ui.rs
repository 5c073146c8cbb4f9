//! The web view in a real headless Chromium (Debian's chromium and
//! chromium-driver, which `.ci/run` installs; `make test-browser`), as an
//! auditor, staff and an executor use it. Screenshots of the list, a
//! project, its timeline and its report are saved under
//! `target/ui-screenshots/` for a reviewer.

#![allow(clippy::unwrap_used)]

use fantoccini::{Client as Page, Locator};
use granttrail_e2e::browser::Browser;
use granttrail_e2e::{Client, Server};

async fn sign_in(page: &Page, server: &Server, token: &str) {
    page.goto(&server.url("/ui/login")).await.unwrap();
    page.find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    page.find(Locator::Css("form.stack button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(page, "table#projects").await;
}

/// How many elements `css` finds.
async fn count(page: &Page, css: &str) -> usize {
    page.find_all(Locator::Css(css)).await.unwrap().len()
}

/// Waits until the page shows an element `css` (the next page arrived).
async fn wait_for(page: &Page, css: &str) {
    page.wait().for_element(Locator::Css(css)).await.unwrap();
}

async fn text_of(page: &Page, css: &str) -> String {
    page.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Fills the field `name` of form `form` (replacing what is there). A
/// date is set as the date picker sets it (typing into one depends on
/// the browser's locale).
async fn fill(page: &Page, form: &str, name: &str, value: &str) {
    let css = format!("#form-{form} [name='{name}']");
    let field = page.find(Locator::Css(&css)).await.unwrap();
    if field.attr("type").await.unwrap().as_deref() == Some("date") {
        page.execute(
            "document.querySelector(arguments[0]).value = arguments[1]",
            vec![css.into(), value.into()],
        )
        .await
        .unwrap();
    } else {
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }
}

async fn submit(page: &Page, form: &str) {
    page.find(Locator::Css(&format!("#form-{form} button[type='submit']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver: `make test-browser` (CI runs it)"]
async fn staff_find_replay_and_record_from_the_browser() {
    let server = Server::start();
    // The seed as imported: its own code, all eight events.
    let seed = server.import_seed().split('\t').nth(1).unwrap().to_owned();
    let api = Client::new(&server, &server.token("staff", None));
    let open = api.sign_seed(Some("JT-WEB-OPEN")).await;
    let browser = Browser::start().await;
    let page = &browser.client;
    sign_in(page, &server, &server.token("staff", None)).await;
    browser.screenshot("list").await;

    // Find the seed project by its code.
    let search = page.find(Locator::Css("input[name='q']")).await.unwrap();
    search.send_keys("JTCF-2022-XGXD").await.unwrap();
    page.find(Locator::Css("form.filters button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The filtered page has one row: the seed.
    page.wait()
        .for_element(Locator::XPath(
            "//tbody[@id='project-rows' and count(tr)=1]//a[text()='JTCF-2022-XGXD-01']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Its timeline: every event, with who and the business date.
    wait_for(page, "ol#events").await;
    let events = page.find_all(Locator::Css("ol#events > li")).await.unwrap();
    assert_eq!(events.len(), 8);
    browser.screenshot("project").await;
    page.goto(&server.url(&format!("/ui/projects/{seed}#timeline")))
        .await
        .unwrap();
    browser.screenshot("timeline").await;

    // Version 3: the self-report was in, nothing after it.
    fill(page, "travel", "version", "3").await;
    submit(page, "travel").await;
    wait_for(page, "p.notice").await;
    let facts = text_of(page, "p.facts").await;
    assert!(facts.contains('3'), "{facts}");
    assert_eq!(count(page, "ol#events > li").await, 3);
    // As of 2022-10-01: signed and extended to 2023-02-28.
    page.goto(&server.url(&format!("/ui/projects/{seed}")))
        .await
        .unwrap();
    fill(page, "as-of", "as_of", "2022-10-01").await;
    submit(page, "as-of").await;
    wait_for(page, "p.notice").await;
    assert!(
        page.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("as_of=2022-10-01"),
        "the URL can be shared"
    );
    let state = text_of(page, "dl.state").await;
    assert!(state.contains("2023-02-28"), "{state}");
    assert_eq!(count(page, "ol#events > li").await, 2);

    // The report, in English.
    page.goto(&server.url(&format!("/ui/projects/{seed}/report?lang=en")))
        .await
        .unwrap();
    let report = page
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(report.contains("JTCF-2022-XGXD-01"), "{report}");
    browser.screenshot("report").await;

    // A command from its form: the extension of the open project.
    page.goto(&server.url(&format!("/ui/projects/{open}")))
        .await
        .unwrap();
    fill(page, "extend", "decided_on", "2022-09-30").await;
    fill(page, "extend", "new_end", "2023-02-28").await;
    fill(page, "extend", "reason", "疫情影响，活动延后").await;
    submit(page, "extend").await;
    wait_for(page, "p.notice").await;
    assert_eq!(count(page, "ol#events > li").await, 2);
    assert_eq!(
        api.get(&format!("/api/v1/projects/{open}")).await.json["version"],
        2
    );

    // A stale form: someone else extends first; this page is told.
    fill(page, "extend", "decided_on", "2023-01-10").await;
    fill(page, "extend", "new_end", "2023-04-30").await;
    fill(page, "extend", "reason", "再次延期").await;
    let mut other = granttrail_e2e::seed_commands()[1].1.clone();
    other["decided_on"] = "2023-01-05".into();
    other["new_end"] = "2023-03-31".into();
    assert_eq!(
        api.post(
            &format!("/api/v1/projects/{open}/extensions"),
            &other,
            Some(2)
        )
        .await
        .status,
        200
    );
    submit(page, "extend").await;
    let conflict = page
        .wait()
        .for_element(Locator::Id("form-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        conflict.contains('3') && conflict.contains('2'),
        "{conflict}"
    );
    assert_eq!(
        api.get(&format!("/api/v1/projects/{open}")).await.json["version"],
        3,
        "the stale form wrote nothing"
    );

    // Sign out: the list needs signing in again.
    page.find(Locator::Css("header form.inline button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.wait().for_element(Locator::Id("token")).await.unwrap();
    page.goto(&server.url("/ui/projects")).await.unwrap();
    page.wait().for_element(Locator::Id("token")).await.unwrap();
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver: `make test-browser` (CI runs it)"]
async fn the_list_updates_live_and_an_executor_sees_only_its_own() {
    let server = Server::start();
    let api = Client::new(&server, &server.token("staff", None));
    api.sign_seed(Some("JT-OWN-1")).await;
    let mut elsewhere = granttrail_e2e::seed_commands()[0].1.clone();
    elsewhere["code"] = "OTHER-1".into();
    elsewhere["executor"]["org_id"] = "another-org".into();
    assert_eq!(
        api.post("/api/v1/projects", &elsewhere, None).await.status,
        201
    );

    let browser = Browser::start().await;
    let page = &browser.client;
    sign_in(page, &server, &server.token("auditor", None)).await;
    // The page says when its live feed is open; then another client signs.
    wait_for(page, "body[data-live='open']").await;
    api.sign_seed(Some("JT-LIVE-1")).await;
    page.wait()
        .for_element(Locator::LinkText("JT-LIVE-1"))
        .await
        .unwrap();
    browser.client.clone().close().await.unwrap();

    let browser = Browser::start().await;
    let page = &browser.client;
    sign_in(
        page,
        &server,
        &server.token("executor", Some("jt-xiaoshuidi")),
    )
    .await;
    let list = text_of(page, "#project-rows").await;
    assert!(
        list.contains("JT-OWN-1") && list.contains("JT-LIVE-1"),
        "{list}"
    );
    assert!(
        !list.contains("OTHER-1"),
        "another organisation's project: {list}"
    );
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver: `make test-browser` (CI runs it)"]
async fn staff_attach_a_file_from_the_browser_and_see_it_listed() {
    let server = Server::start();
    let token = server.token("staff", None);
    let api = Client::new(&server, &token);
    let id = api.sign_seed(Some("JT-FILE-1")).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sign-in-sheet.pdf");
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.resize(50_000, b'x');
    std::fs::write(&file, &pdf).unwrap();

    let browser = Browser::start().await;
    let page = &browser.client;
    sign_in(page, &server, &token).await;
    page.goto(&server.url(&format!("/ui/projects/{id}")))
        .await
        .unwrap();
    // A file input takes the file's path as its keys (WebDriver's upload).
    page.find(Locator::Id("attach-file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    submit(page, "attach").await;
    page.wait()
        .for_element(Locator::LinkText("sign-in-sheet.pdf"))
        .await
        .unwrap();
    assert!(
        page.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("done=attach")
    );
    let state = api.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(state.json["attachments"][0]["name"], "sign-in-sheet.pdf");
    assert_eq!(state.json["attachments"][0]["size"], 50_000);
    browser.client.clone().close().await.unwrap();
}
