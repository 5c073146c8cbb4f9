//! Who is looking: the session cookie, resolved to the caller of the token
//! it was exchanged for; and the checks every form post passes (its form
//! token, and that it comes from this site).

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Redirect, Response};
use granttrail_app::{AppError, Caller};
use granttrail_store::SessionRecord;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use sha2::{Digest, Sha256};

use crate::WebState;
use crate::i18n::{Lang, cookie};
use crate::pages::error_page;

/// The cookie carrying a session's secret.
pub const SESSION_COOKIE: &str = "granttrail_session";

/// A signed-in viewer.
pub(crate) struct Viewer {
    /// Who they are, as the API would know them from their token.
    pub caller: Caller,
    /// Their session (its form token goes into every form).
    pub session: SessionRecord,
    /// The page's language.
    pub lang: Lang,
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let lang = Lang::of(&parts.headers);
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(signed_out(parts, lang, false));
        };
        match state.app.session(&secret).await {
            Ok((caller, session)) => Ok(Viewer {
                caller,
                session,
                lang,
            }),
            Err(AppError::Unauthenticated) => Err(signed_out(parts, lang, true)),
            Err(other) => Err(error_page(lang, None, &other)),
        }
    }
}

/// A signed-in viewer asking about the project the path names (`{id}`);
/// an id that is not one is the page of a project that does not exist.
pub(crate) struct ViewerOf {
    /// Who asks.
    pub viewer: Viewer,
    /// The project.
    pub id: uuid::Uuid,
}

impl FromRequestParts<WebState> for ViewerOf {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let params =
            axum::extract::Path::<std::collections::HashMap<String, String>>::from_request_parts(
                parts, state,
            )
            .await
            .map(|p| p.0)
            .unwrap_or_default();
        match params.get("id").and_then(|id| id.parse().ok()) {
            Some(id) => Ok(ViewerOf { viewer, id }),
            None => Err(error_page(viewer.lang, Some(&viewer), &AppError::NotFound)),
        }
    }
}

/// No live session: a page read goes to the sign-in page (and back after);
/// a form post is refused with nothing written.
fn signed_out(parts: &Parts, lang: Lang, had_session: bool) -> Response {
    let mut response = if parts.method == Method::GET {
        let back = parts
            .uri
            .path_and_query()
            .map_or("/ui/projects", |p| p.as_str());
        let over = if had_session { "&over=1" } else { "" };
        Redirect::to(&format!("/ui/login?back={}{over}", encode(back))).into_response()
    } else {
        let mut refused = error_page(lang, None, &AppError::Unauthenticated);
        *refused.status_mut() = StatusCode::UNAUTHORIZED;
        refused
    };
    if had_session {
        // The browser forgets the dead session.
        response
            .headers_mut()
            .append(header::SET_COOKIE, clear_cookie(SESSION_COOKIE));
    }
    response
}

/// Percent-encodes a query value.
pub(crate) fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Where to go back to after signing in or switching language: only a
/// path of this site's web view, never another site.
pub(crate) fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(path)
            if path.starts_with("/ui/") && !path.starts_with("//") && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => "/ui/projects".to_owned(),
    }
}

/// A cookie that is sent back only to this site, by the browser, never to
/// scripts.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Tells the browser to forget cookie `name`.
pub(crate) fn clear_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether cookies should carry `Secure`: when the setting says the site
/// is served over TLS, or the proxy in front says this request came so.
pub(crate) fn over_tls(state: &WebState, headers: &HeaderMap) -> bool {
    state.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// Why a form post is refused before anything is read from it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FormRefusal {
    /// The browser says it came from another site, or its `Origin` is
    /// another site's.
    CrossSite,
    /// Its form token is missing or not this session's.
    BadFormToken,
}

/// A form post must come from this site (`Sec-Fetch-Site`, `Origin`) and
/// carry `expected` (the session's form token, or the sign-in page's).
pub(crate) fn check_form(
    headers: &HeaderMap,
    sent: Option<&str>,
    expected: &str,
) -> Result<(), FormRefusal> {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|site| site == "cross-site" || site == "same-site") {
        return Err(FormRefusal::CrossSite);
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let own = origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host));
        if !own {
            return Err(FormRefusal::CrossSite);
        }
    }
    // Compared as hashes, so the comparison's time says nothing about the
    // token.
    let same = sent.is_some_and(|sent| {
        !expected.is_empty() && Sha256::digest(sent) == Sha256::digest(expected)
    });
    if same {
        Ok(())
    } else {
        Err(FormRefusal::BadFormToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn a_form_needs_this_sites_origin_and_the_sessions_token() {
        let own = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ]);
        assert_eq!(check_form(&own, Some("t"), "t"), Ok(()));
        assert_eq!(check_form(&own, None, "t"), Err(FormRefusal::BadFormToken));
        assert_eq!(
            check_form(&own, Some("u"), "t"),
            Err(FormRefusal::BadFormToken)
        );
        let other = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example"),
        ]);
        assert_eq!(
            check_form(&other, Some("t"), "t"),
            Err(FormRefusal::CrossSite)
        );
        let fetched = headers(&[("host", "h"), ("sec-fetch-site", "cross-site")]);
        assert_eq!(
            check_form(&fetched, Some("t"), "t"),
            Err(FormRefusal::CrossSite)
        );
    }

    #[test]
    fn going_back_stays_on_this_site() {
        assert_eq!(safe_back(Some("/ui/projects?q=jt")), "/ui/projects?q=jt");
        assert_eq!(safe_back(Some("https://evil.example/")), "/ui/projects");
        assert_eq!(safe_back(Some("//evil.example/ui/")), "/ui/projects");
        assert_eq!(safe_back(None), "/ui/projects");
    }
}
