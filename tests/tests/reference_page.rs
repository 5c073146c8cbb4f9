//! The API reference page in a real headless Chromium: it loads only from
//! the server, asks for a token, and then shows every route of the
//! document. Needs Debian's chromium and chromium-driver, so the test is
//! ignored in `make test` and run by `make test-browser` (CI installs both).

#![allow(clippy::unwrap_used)]

use fantoccini::Locator;
use granttrail_e2e::Server;
use granttrail_e2e::browser::Browser;

/// Types `token` into the page's field (replacing what was there) and
/// submits it.
async fn give_token(page: &fantoccini::Client, token: &str) {
    let field = page.find(Locator::Id("token")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(token).await.unwrap();
    page.find(Locator::Css("#sign-in button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver: `make test-browser` (CI runs it)"]
async fn the_reference_shows_the_document_once_given_a_token() {
    let server = Server::start();
    let token = server.token("auditor", None);
    let browser = Browser::start().await;
    let page = &browser.client;
    page.goto(&server.url("/docs")).await.unwrap();

    // A wrong token is refused in words, and nothing is shown.
    give_token(page, "gt_wrong").await;
    let refused = page
        .wait()
        .for_element(Locator::XPath(
            "//output[@id='status' and normalize-space(text()) != '']",
        ))
        .await
        .unwrap();
    assert!(
        refused.text().await.unwrap().contains("token"),
        "{}",
        refused.text().await.unwrap()
    );

    give_token(page, &token).await;
    page.wait()
        .for_element(Locator::Css("body[data-loaded='true']"))
        .await
        .unwrap();
    // RapiDoc renders into its shadow root: every path of the document.
    let shown: String = page
        .execute(
            "return document.getElementById('reference').shadowRoot.textContent",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for path in [
        "/api/v1/projects/{id}/finalization",
        "/api/v1/log/inclusion",
        "/api/v1/tokens",
    ] {
        assert!(shown.contains(path), "the reference lacks {path}");
    }
    browser.screenshot("api-reference").await;
    // Nothing was fetched from anywhere but the server.
    let elsewhere: serde_json::Value = page
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)\
               .filter(n => !n.startsWith(location.origin))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(elsewhere, serde_json::json!([]), "resources from elsewhere");
    browser.client.clone().close().await.unwrap();
}
