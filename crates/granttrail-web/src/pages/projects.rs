//! The project list: search, filters, pages, and live updates.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use granttrail_app::permissions::{Action, role_permits};
use granttrail_app::{AppError, ListParams};
use granttrail_domain::{CommandKind, Stage};
use http::{HeaderMap, StatusCode};
use minijinja::{Value, context};
use serde::Deserialize;

use crate::WebState;
use crate::i18n::cookie;
use crate::pages::{error_page, here};
use crate::render;
use crate::session::{SESSION_COOKIE, Viewer, encode};

/// The list's filters as the page's form sends them.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    signed_from: String,
    #[serde(default)]
    signed_to: String,
    #[serde(default)]
    cursor: String,
    /// `rows`: only the table's rows (for live updates).
    #[serde(default)]
    fragment: String,
}

impl ListQuery {
    fn params(&self) -> ListParams {
        let given = |v: &str| Some(v.to_owned()).filter(|v| !v.trim().is_empty());
        ListParams {
            q: given(&self.q),
            stage: given(&self.stage),
            executor: None,
            overdue: given(&self.overdue),
            signed_from: given(&self.signed_from),
            signed_to: given(&self.signed_to),
            flagged: None,
            limit: Some("50".into()),
            cursor: given(&self.cursor),
        }
    }

    /// This query on the page after `cursor`.
    fn next_href(&self, cursor: &str) -> String {
        let pairs = [
            ("q", self.q.as_str()),
            ("stage", &self.stage),
            ("overdue", &self.overdue),
            ("signed_from", &self.signed_from),
            ("signed_to", &self.signed_to),
            ("cursor", cursor),
        ];
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("/ui/projects?{}", query.join("&"))
    }
}

/// `GET /ui/projects`.
pub(crate) async fn list(
    State(state): State<WebState>,
    viewer: Viewer,
    uri: http::Uri,
    Query(query): Query<ListQuery>,
) -> Response {
    let lang = viewer.lang;
    // What the list reflects: live updates newer than this fetch it again.
    let position = state.app.store().last_position().await.unwrap_or(0);
    let (projects, next_cursor, error) = match query.params().parse() {
        Ok(parsed) => match state.app.list_projects(&viewer.caller, parsed).await {
            Ok(page) => (page.items, page.next_cursor, None),
            Err(error) => return error_page(lang, Some(&viewer), &error),
        },
        Err(AppError::BadParameter { parameter, message }) => {
            (Vec::new(), None, Some(format!("{parameter}: {message}")))
        }
        Err(other) => return error_page(lang, Some(&viewer), &other),
    };
    let role = viewer.caller.role();
    let base = render::base(
        lang,
        Some(&viewer),
        &here(&uri),
        lang.text("projects_title"),
    );
    let page = context! {
        query => Value::from_serialize(&query),
        stages => Stage::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        projects => Value::from_serialize(&projects),
        next_cursor => next_cursor.clone(),
        next_href => next_cursor.as_deref().map(|c| query.next_href(c)),
        error => error,
        can_sign => role_permits(role, Action::Command(CommandKind::Sign)),
        live => role_permits(role, Action::ReadEveryEvent),
        position => position,
    };
    if query.fragment == "rows" {
        return match render::render("project_rows.html", base, page) {
            Ok(html) => Html(html).into_response(),
            Err(error) => {
                tracing::error!(%error, "the list's rows could not be rendered");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        };
    }
    render::page(StatusCode::OK, "projects.html", base, page)
}

/// `GET /ui/live`: Server-Sent Events saying "something was committed"
/// (with the newest position), for the list page to fetch its rows again.
/// Only for roles that may read every project's events; an executor's
/// page does not subscribe. The session is checked again every 30 s and
/// the stream ends when it no longer lives.
pub(crate) async fn live(
    State(state): State<WebState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Response {
    if !role_permits(viewer.caller.role(), Action::ReadEveryEvent) {
        return error_page(
            viewer.lang,
            Some(&viewer),
            &AppError::Forbidden("the live feed spans every organisation".into()),
        );
    }
    let secret = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    let commits = state.app.store().subscribe();
    let events = futures_util::stream::unfold(
        (state, secret, commits),
        |(state, secret, mut commits)| async move {
            loop {
                match tokio::time::timeout(Duration::from_secs(30), commits.changed()).await {
                    Ok(Ok(())) => {
                        let at = *commits.borrow_and_update();
                        let event = Event::default().event("changed").data(at.to_string());
                        return Some((Ok::<_, Infallible>(event), (state, secret, commits)));
                    }
                    Ok(Err(_)) => return None,
                    Err(_) => {
                        if state.app.session(&secret).await.is_err() {
                            return None;
                        }
                    }
                }
            }
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
