//! The web view over plain HTTP, as a browser without JavaScript uses it:
//! a cookie-keeping client, the session's form token, a page's text.

use crate::Server;

/// A browser-like client: keeps cookies, follows no redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a test step")
}

/// The value of `name="…" value="…"` in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in the page:\n{page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').expect("a test step")].to_owned()
}

/// Signs `token` in; answers the session's form token.
pub async fn sign_in(server: &Server, browser: &reqwest::Client, token: &str) -> String {
    let login = page_text(browser, server, "/ui/login").await;
    let csrf = hidden(&login, "csrf");
    let signed = browser
        .post(server.url("/ui/login"))
        .form(&[("token", token), ("csrf", &csrf), ("back", "/ui/projects")])
        .send()
        .await
        .expect("a test step");
    assert_eq!(
        signed.status().as_u16(),
        303,
        "{}",
        signed.text().await.expect("a test step")
    );
    let cookie = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("a test step").to_owned())
        .find(|c| c.starts_with("granttrail_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let page = page_text(browser, server, "/ui/projects").await;
    hidden(&page, "csrf")
}

/// The text of the page at `path`.
pub async fn page_text(browser: &reqwest::Client, server: &Server, path: &str) -> String {
    let answer = browser
        .get(server.url(path))
        .send()
        .await
        .expect("a test step");
    answer.text().await.expect("a test step")
}

/// The status of the page at `path` (303 when the session is gone: the
/// page sends the browser to sign in).
pub async fn status_of(browser: &reqwest::Client, server: &Server, path: &str) -> u16 {
    let answer = browser
        .get(server.url(path))
        .send()
        .await
        .expect("a test step");
    answer.status().as_u16()
}
