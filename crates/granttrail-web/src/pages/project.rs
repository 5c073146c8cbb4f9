//! A project: its state at any point, the timeline of every event with
//! its field changes, links to its outputs, and the forms of what may be
//! recorded next.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use granttrail_app::AppError;
use granttrail_app::permissions::{Action, role_permits};
use granttrail_domain::{BusinessDate, CommandKind, Stage};
use granttrail_projections::{AuditRow, PointInTime, ProjectView, audit_rows, state_at};
use granttrail_store::StoredEvent;
use http::StatusCode;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::WebState;
use crate::forms::{self, Form};
use crate::i18n::Lang;
use crate::pages::{error_page, here};
use crate::render;
use crate::session::{Viewer, ViewerOf};

/// Which point of the history the page shows.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct PointQuery {
    version: Option<String>,
    as_of: Option<String>,
    known_at: Option<String>,
    /// Set after a form was recorded: which command.
    done: Option<String>,
    /// Show the timeline's events before this version (older pages).
    before: Option<String>,
}

/// How many events of the timeline one page shows.
const TIMELINE_PAGE: usize = 100;

impl PointQuery {
    fn point(&self) -> Result<PointInTime, AppError> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let bad = |parameter: &str, message: String| AppError::BadParameter {
            parameter: parameter.into(),
            message,
        };
        match (
            given(&self.version),
            given(&self.as_of),
            given(&self.known_at),
        ) {
            (None, None, None) => Ok(PointInTime::Latest),
            (Some(v), None, None) => v
                .parse::<u64>()
                .ok()
                .filter(|v| *v > 0)
                .map(PointInTime::Version)
                .ok_or_else(|| bad("version", format!("'{v}' is not a version"))),
            (None, Some(d), None) => BusinessDate::parse(d)
                .map(PointInTime::AsOf)
                .map_err(|e| bad("as_of", e)),
            (None, None, Some(t)) => DateTime::parse_from_rfc3339(t)
                .map(|t| PointInTime::KnownAt(t.with_timezone(&Utc)))
                .map_err(|_| bad("known_at", format!("'{t}' is not an RFC 3339 instant"))),
            _ => Err(bad(
                "version",
                "ask for one point: a version, a business date or an instant".into(),
            )),
        }
    }
}

/// A form shown again after it was refused: its values, the errors by
/// field, and what to say above it.
pub(crate) struct Refused {
    pub kind: CommandKind,
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
    pub message: String,
    pub status: StatusCode,
}

/// `GET /ui/projects/{id}`.
pub(crate) async fn show(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
    uri: http::Uri,
    Query(query): Query<PointQuery>,
) -> Response {
    let point = match query.point() {
        Ok(point) => point,
        Err(error) => return error_page(viewer.lang, Some(&viewer), &error),
    };
    let notice = query
        .done
        .as_deref()
        .map(|_| viewer.lang.text("done").to_owned());
    let before = query.before.as_deref().and_then(|b| b.parse::<u64>().ok());
    project_page(
        &state,
        &viewer,
        id,
        point,
        before,
        &here(&uri),
        notice,
        None,
    )
    .await
}

/// One event of the timeline, as the page shows it.
#[derive(Serialize)]
struct TimelineEntry {
    version: u64,
    action: String,
    occurred_on: String,
    recorded_at: String,
    actor: granttrail_projections::AuditActor,
    changes: Vec<Change>,
}

#[derive(Serialize)]
struct Change {
    field: String,
    before: String,
    after: String,
}

/// A JSON value as a person reads it: text without quotes, a list of
/// texts one after another.
pub(crate) fn plain(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(plain).collect::<Vec<_>>().join("、")
        }
        other => other.to_string(),
    }
}

/// Whether `event` is part of the history shown at `point`.
fn within(point: PointInTime, event: &StoredEvent) -> bool {
    match point {
        PointInTime::Latest => true,
        PointInTime::Version(v) => event.version <= v,
        PointInTime::KnownAt(at) => event.recorded_at <= at,
        PointInTime::AsOf(date) => event.occurred_on <= date,
    }
}

/// The versions of the timeline's page: as far as `point`, the newest
/// [`TIMELINE_PAGE`] before `before` (or the newest of all).
fn page_of(events: &[StoredEvent], point: PointInTime, before: Option<u64>) -> Vec<u64> {
    let shown: Vec<u64> = events
        .iter()
        .filter(|e| within(point, e) && before.is_none_or(|b| e.version < b))
        .map(|e| e.version)
        .collect();
    shown[shown.len().saturating_sub(TIMELINE_PAGE)..].to_vec()
}

/// The timeline entries of `rows` whose versions are `page`.
fn timeline(lang: Lang, rows: Vec<AuditRow>, page: &[u64]) -> Vec<TimelineEntry> {
    rows.into_iter()
        .filter(|row| page.contains(&row.version))
        .map(|row| TimelineEntry {
            version: row.version,
            action: if lang == Lang::En {
                row.action
            } else {
                row.action_zh
            },
            occurred_on: row.occurred_on,
            recorded_at: row.recorded_at,
            actor: row.actor,
            changes: row
                .changes
                .iter()
                .map(|c| Change {
                    field: c.field.clone(),
                    before: plain(&c.before),
                    after: plain(&c.after),
                })
                .collect(),
        })
        .collect()
}

/// The project's page as it is now, with a refused form shown again.
pub(crate) async fn page_with_refusal(
    state: &WebState,
    viewer: &Viewer,
    id: Uuid,
    refused: Refused,
) -> Response {
    let here = format!("/ui/projects/{id}");
    project_page(
        state,
        viewer,
        id,
        PointInTime::Latest,
        None,
        &here,
        None,
        Some(refused),
    )
    .await
}

/// The file form, if the viewer may attach evidence to `view` now: the
/// version it was shown at, a key against double submits, and what a file
/// may evidence (the project, a stage it passed, an indicator, a
/// financial check).
fn upload_form(
    viewer: &Viewer,
    view: &ProjectView,
    head: u64,
    refused: Option<&Refused>,
) -> Option<minijinja::Value> {
    let allowed = view
        .project
        .stage
        .allowed_commands()
        .contains(&CommandKind::Attach)
        && role_permits(viewer.caller.role(), Action::Command(CommandKind::Attach));
    if !allowed {
        return None;
    }
    let lang = viewer.lang;
    let mut choices = vec![(
        "project".to_owned(),
        lang.text("evidence_project").to_owned(),
    )];
    for stage in Stage::ALL {
        choices.push((
            format!("stage:{}", stage.as_str()),
            format!(
                "{}: {}",
                lang.text("evidence_stage"),
                lang.text(&format!("stage_{}", stage.as_str()))
            ),
        ));
    }
    for indicator in &view.project.indicators {
        choices.push((
            format!("indicator:{}", indicator.key),
            format!("{}: {}", lang.text("evidence_indicator"), indicator.label),
        ));
    }
    for check in ["vouchers", "budget", "compliance"] {
        choices.push((
            format!("finance_check:{check}"),
            format!(
                "{}: {}",
                lang.text("evidence_finance"),
                lang.text(&format!("finance_{check}"))
            ),
        ));
    }
    let key = refused
        .filter(|r| r.kind == CommandKind::Attach)
        .and_then(|r| r.values.get("idempotency_key").cloned())
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    Some(context! {
        version => head,
        idempotency_key => key,
        choices => choices,
    })
}

/// The forms of what the viewer may record next on `view` (latest only).
fn forms_for(viewer: &Viewer, view: &ProjectView, refused: Option<&Refused>) -> Vec<Form> {
    let role = viewer.caller.role();
    view.project
        .stage
        .allowed_commands()
        .iter()
        .copied()
        .filter(|kind| role_permits(role, Action::Command(*kind)))
        // An attachment arrives as an upload (the API's), not as a form.
        .filter(|kind| *kind != CommandKind::Attach)
        .map(|kind| {
            let (values, errors) = match refused {
                Some(r) if r.kind == kind => (r.values.clone(), r.errors.clone()),
                _ => (BTreeMap::new(), BTreeMap::new()),
            };
            // A form shown again keeps its key: sending it twice still
            // writes once.
            let key = values
                .get("idempotency_key")
                .cloned()
                .unwrap_or_else(|| Uuid::now_v7().to_string());
            forms::form(
                kind,
                viewer.lang,
                Some(view.id),
                Some(&view.project),
                &values,
                &errors,
                key,
            )
        })
        .collect()
}

/// Renders a project's page at `point` (its timeline's page before
/// `before`), with `refused` shown in its form.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn project_page(
    state: &WebState,
    viewer: &Viewer,
    id: Uuid,
    point: PointInTime,
    before: Option<u64>,
    here: &str,
    notice: Option<String>,
    refused: Option<Refused>,
) -> Response {
    let lang = viewer.lang;
    let app = &state.app;
    // One read of the history (checked against its hash chain); the
    // state at the point and the timeline are folded from it.
    let loaded = async {
        let events = app.events(&viewer.caller, id).await?;
        let head = events.last().map_or(0, |e| e.version);
        if let PointInTime::Version(v) = point
            && v > head
        {
            return Err(AppError::BadParameter {
                parameter: "version".into(),
                message: format!("the project has {head} versions; there is no version {v}"),
            });
        }
        let project = state_at(&events, point)
            .map_err(AppError::history)?
            .ok_or(AppError::NotFound)?;
        let page = page_of(&events, point, before);
        // An empty page (a point before the first event) writes no rows.
        let range = match (page.first(), page.last()) {
            (Some(first), Some(last)) => *first..=*last,
            _ => u64::MAX..=u64::MAX,
        };
        let rows = audit_rows(&events, range).map_err(AppError::history)?;
        let view = ProjectView::new(id, project, app.today());
        Ok::<_, AppError>((events, view, rows, page))
    };
    let (events, view, rows, page) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return error_page(lang, Some(viewer), &error),
    };
    let head = events.last().map_or(0, |e| e.version);
    let forms = if point == PointInTime::Latest {
        forms_for(viewer, &view, refused.as_ref())
    } else {
        Vec::new()
    };
    let upload = (point == PointInTime::Latest)
        .then(|| upload_form(viewer, &view, head, refused.as_ref()))
        .flatten();
    let status = refused.as_ref().map_or(StatusCode::OK, |r| r.status);
    let (upload_error, refused) = match refused {
        Some(r) if r.kind == CommandKind::Attach => (Some(r.message), None),
        other => (None, other),
    };
    let point_text = (point != PointInTime::Latest).then(|| point.to_string());
    let point_values = context! {
        version => match point { PointInTime::Version(v) => Some(v), _ => None },
        as_of => match point { PointInTime::AsOf(d) => Some(d.to_string()), _ => None },
        known_at => match point {
            PointInTime::KnownAt(t) => Some(granttrail_store::format_instant(&t)),
            _ => None,
        },
    };
    let mut base = render::base(lang, Some(viewer), here, &view.project.title);
    if let Some(notice) = notice {
        base = context! { notice => notice, ..base };
    }
    render::page(
        status,
        "project.html",
        base,
        context! {
            p => Value::from_serialize(&view),
            head => head,
            point => point_values,
            point_text => point_text,
            timeline => Value::from_serialize(timeline(lang, rows, &page)),
            earlier => earlier_href(id, point, &events, &page),
            forms => Value::from_serialize(&forms),
            form_error => refused.map(|r| r.message),
            upload => upload,
            upload_error => upload_error,
        },
    )
}

/// The link to the timeline's older page, if there is one.
fn earlier_href(
    id: Uuid,
    point: PointInTime,
    events: &[StoredEvent],
    page: &[u64],
) -> Option<String> {
    let first = *page.first()?;
    let older = events.iter().any(|e| e.version < first && within(point, e));
    if !older {
        return None;
    }
    let point = match point {
        PointInTime::Latest => String::new(),
        PointInTime::Version(v) => format!("&version={v}"),
        PointInTime::AsOf(d) => format!("&as_of={d}"),
        PointInTime::KnownAt(t) => format!(
            "&known_at={}",
            crate::session::encode(&granttrail_store::format_instant(&t))
        ),
    };
    Some(format!("/ui/projects/{id}?before={first}{point}#timeline"))
}
