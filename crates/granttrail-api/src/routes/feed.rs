//! The global event feed (paged and as Server-Sent Events) and the bulk
//! audit-trail export.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream};
use granttrail_domain::BusinessDate;
use granttrail_projections::{audit_csv, audit_trail, unreadable_csv};
use granttrail_store::StoredEvent;
use http::{HeaderMap, HeaderValue, header};
use serde::Deserialize;

use crate::ApiState;
use crate::bodies::EventPage;
use crate::extract::{Authenticated, StrictQuery, bearer_secret};
use crate::problem::{ApiResult, Problem};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FeedQuery {
    after: Option<String>,
    limit: Option<String>,
}

fn position(raw: Option<&str>, name: &str) -> Result<i64, Problem> {
    match raw {
        None | Some("") => Ok(0),
        Some(text) => text.parse::<i64>().ok().filter(|p| *p >= 0).ok_or_else(|| {
            Problem::bad_parameter(name, format!("'{text}' is not a position (0, 1, 2, …)"))
        }),
    }
}

/// The global log in commit order: `{items, next_after}`.
#[utoipa::path(get, path = "/api/v1/events", tag = "reads",
    params(("after" = Option<i64>, Query, description = "only events after this position (0)"),
           ("limit" = Option<u32>, Query, description = "1 to 1000 (100)")),
    responses((status = 200, description = "one page, in commit order", body = EventPage, content_type = "application/json"),
              (status = 400, description = "bad-parameter"),
              (status = 403, description = "forbidden: executors read their own projects only")),
    security(("bearer" = [])))]
pub(super) async fn events(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    StrictQuery(query): StrictQuery<FeedQuery>,
) -> ApiResult<Response> {
    let after = position(query.after.as_deref(), "after")?;
    let limit = match query.limit.as_deref() {
        None | Some("") => 100,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| {
                Problem::bad_parameter("limit", format!("'{l}' is not a limit from 1 to 1000"))
            })?,
    };
    let items = state.app.global_events(&caller, after, limit).await?;
    let next_after = items.last().map_or(after, |e| e.position);
    Ok(Json(EventPage { items, next_after }).into_response())
}

/// The global log as Server-Sent Events: each event's `id` is its
/// position; reconnecting with `Last-Event-ID` resumes right after it.
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "reads",
    params(("after" = Option<i64>, Query, description = "start after this position when no Last-Event-ID is sent")),
    responses((status = 200, description = "Server-Sent Events: one `event` per stored event, its id the position", content((String = "text/event-stream"))),
              (status = 400, description = "bad-parameter"),
              (status = 403, description = "forbidden: executors read their own projects only")),
    security(("bearer" = [])))]
pub(super) async fn stream(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    StrictQuery(query): StrictQuery<FeedQuery>,
) -> ApiResult<Response> {
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let after = match resume {
        Some(id) => position(Some(id), "Last-Event-ID")?,
        None => position(query.after.as_deref(), "after")?,
    };
    // Refuse before streaming starts (executors), so the error is a problem.
    state.app.global_events(&caller, after, 1).await?;
    let heartbeat = state.heartbeat;
    // The stream outlives the request's authentication: it asks again
    // every `token_recheck`, and ends once the token is revoked or expired.
    let secret = headers
        .get(http::header::AUTHORIZATION)
        .and_then(bearer_secret)
        .unwrap_or_default()
        .to_owned();
    let events = follow(state, caller, secret, after);
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(heartbeat))
        .into_response())
}

/// Pages through the log after `after`, then waits for commits; every event
/// is sent once, in position order.
fn follow(
    state: ApiState,
    caller: granttrail_app::Caller,
    secret: String,
    after: i64,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let commits = state.app.store().subscribe();
    let checked = Instant::now();
    stream::unfold(
        (
            state,
            caller,
            after,
            commits,
            Vec::<StoredEvent>::new(),
            secret,
            checked,
        ),
        |(state, caller, mut after, mut commits, mut pending, secret, mut checked)| async move {
            loop {
                if checked.elapsed() >= state.token_recheck {
                    if state.app.authenticate(&secret).await.is_err() {
                        tracing::info!(target: "granttrail::audit", token_id = caller.id(), "live feed closed: its token no longer authenticates");
                        return None;
                    }
                    checked = Instant::now();
                }
                if !pending.is_empty() {
                    let next = pending.remove(0);
                    after = next.position;
                    let event = Event::default()
                        .id(next.position.to_string())
                        .event(next.event_type.clone())
                        .json_data(&next)
                        .unwrap_or_else(|_| Event::default().comment("unencodable event"));
                    return Some((
                        Ok(event),
                        (state, caller, after, commits, pending, secret, checked),
                    ));
                }
                match state.app.global_events(&caller, after, 500).await {
                    Ok(page) if !page.is_empty() => pending = page,
                    Ok(_) => {
                        // Wait for a commit here, or poll for other
                        // processes' commits every second.
                        let _ =
                            tokio::time::timeout(Duration::from_secs(1), commits.changed()).await;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "live feed ended: the log could not be read");
                        return None;
                    }
                }
            }
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// Every project's audit rows recorded in `[from, to]` (dates, inclusive,
/// UTC), streamed one project at a time: memory stays flat however large
/// the store.
#[utoipa::path(get, path = "/api/v1/exports/audit-trail.csv", tag = "reads",
    params(("from" = Option<String>, Query, description = "first recorded-at date (YYYY-MM-DD, UTC)"),
           ("to" = Option<String>, Query, description = "last recorded-at date (YYYY-MM-DD, UTC)")),
    responses((status = 200, description = "UTF-8 with BOM; a project whose history cannot be read is a row of event type `unreadable`", content((String = "text/csv; charset=utf-8"))),
              (status = 400, description = "bad-parameter"),
              (status = 403, description = "forbidden: executors read their own projects only")),
    security(("bearer" = [])))]
pub(super) async fn audit_export(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    StrictQuery(query): StrictQuery<RangeQuery>,
) -> ApiResult<Response> {
    let day = |raw: Option<&str>, name: &str| -> Result<Option<BusinessDate>, Problem> {
        raw.filter(|t| !t.is_empty())
            .map(|t| BusinessDate::parse(t).map_err(|e| Problem::bad_parameter(name, e)))
            .transpose()
    };
    let from = day(query.from.as_deref(), "from")?;
    let to = day(query.to.as_deref(), "to")?;
    let ids = state.app.project_ids(&caller).await?;
    let within = move |at: &DateTime<Utc>| {
        let date = BusinessDate::from(at.date_naive());
        from.is_none_or(|f| date >= f) && to.is_none_or(|t| date <= t)
    };
    let header = audit_csv(&[], true).unwrap_or_default();
    let head = stream::once(async move { Ok::<_, Infallible>(header) });
    let rows = stream::unfold(
        (state, caller, ids.into_iter()),
        move |(state, caller, mut ids)| async move {
            for id in ids.by_ref() {
                let text = match project_rows(&state, &caller, id, &within).await {
                    Ok(text) if text.is_empty() => continue,
                    Ok(text) => text,
                    // The project is named with why it could not be read,
                    // never left out: the corrupt project is the one an
                    // auditor must not miss.
                    Err(problem) => {
                        unreadable_csv(&id.to_string(), problem.code()).unwrap_or_default()
                    }
                };
                return Some((Ok::<_, Infallible>(text), (state, caller, ids)));
            }
            None
        },
    );
    let body = Body::from_stream(futures_util::StreamExt::chain(head, rows));
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(response)
}

/// One project's audit rows recorded within the range, as CSV without the
/// BOM and header (those open the file once); empty when none fall
/// within it.
async fn project_rows(
    state: &ApiState,
    caller: &granttrail_app::Caller,
    id: uuid::Uuid,
    within: &impl Fn(&DateTime<Utc>) -> bool,
) -> Result<String, Problem> {
    let events = state.app.events(caller, id).await?;
    let rows = audit_trail(&events).map_err(granttrail_app::AppError::history)?;
    let kept: Vec<_> = rows
        .into_iter()
        .zip(&events)
        .filter(|(_, e)| within(&e.recorded_at))
        .map(|(row, _)| row)
        .collect();
    if kept.is_empty() {
        return Ok(String::new());
    }
    let text = audit_csv(&kept, false)
        .map_err(|e| granttrail_app::AppError::render_failed("audit CSV", e))?;
    Ok(text.trim_start_matches('\u{feff}').to_owned())
}
