//! A project's outputs in the browser: the report (a preview in zh-CN or
//! en, and downloads), the audit trail (a table and CSV), verification
//! (the chain, the newest checkpoint, each event's inclusion proof) and
//! the signed bundle.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use granttrail_app::AppError;
use granttrail_projections::Lang as ReportLang;
use http::{HeaderValue, StatusCode, header};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use crate::WebState;
use crate::i18n::Lang;
use crate::pages::error_page;
use crate::render;
use crate::session::{Viewer, ViewerOf};

/// `body` as a download named `file`.
fn download(body: impl IntoResponse, content_type: &'static str, file: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[derive(Deserialize)]
pub(crate) struct ReportQuery {
    lang: Option<String>,
}

fn report_lang(viewer: &Viewer, asked: Option<&str>) -> ReportLang {
    match asked.and_then(Lang::parse).unwrap_or(viewer.lang) {
        Lang::En => ReportLang::En,
        Lang::ZhCn => ReportLang::ZhCn,
    }
}

/// `GET /ui/projects/{id}/report?lang=`: the report's own printable page.
/// It carries its styles inline and no script, so its policy allows
/// inline styles and nothing else.
pub(crate) async fn report(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
    Query(query): Query<ReportQuery>,
) -> Response {
    let lang = report_lang(&viewer, query.lang.as_deref());
    let html = match state.app.report(&viewer.caller, id, lang, None).await {
        Ok(report) => report
            .to_html()
            .map_err(|e| AppError::render_failed("report", e)),
        Err(error) => Err(error),
    };
    match html {
        Ok(html) => {
            let mut response = axum::response::Html(html).into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            response
        }
        Err(error) => error_page(viewer.lang, Some(&viewer), &error),
    }
}

/// `GET /ui/projects/{id}/report/{md|html|json}?lang=`.
pub(crate) async fn report_download(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
    Path((_, format)): Path<(String, String)>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let lang = report_lang(&viewer, query.lang.as_deref());
    let report = match state.app.report(&viewer.caller, id, lang, None).await {
        Ok(report) => report,
        Err(error) => return error_page(viewer.lang, Some(&viewer), &error),
    };
    let tag = match lang {
        ReportLang::En => "en",
        ReportLang::ZhCn => "zh-CN",
    };
    let file = |ext: &str| format!("report-{id}-{tag}.{ext}");
    let rendered = match format.as_str() {
        "md" => report
            .to_markdown()
            .map(|t| download(t, "text/markdown; charset=utf-8", &file("md"))),
        "html" => report
            .to_html()
            .map(|t| download(t, "text/html; charset=utf-8", &file("html"))),
        "json" => report
            .to_json()
            .map(|t| download(t, "application/json", &file("json"))),
        _ => return error_page(viewer.lang, Some(&viewer), &AppError::NotFound),
    };
    rendered.unwrap_or_else(|e| {
        error_page(
            viewer.lang,
            Some(&viewer),
            &AppError::render_failed("report", e),
        )
    })
}

#[derive(Serialize)]
struct AuditLine {
    version: u64,
    recorded_at: String,
    occurred_on: String,
    actor: granttrail_projections::AuditActor,
    what: String,
    changes: Vec<(String, String, String)>,
    hash: String,
}

/// `GET /ui/projects/{id}/audit`.
pub(crate) async fn audit(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
) -> Response {
    let loaded = async {
        let rows = state.app.audit_trail(&viewer.caller, id).await?;
        let view = state
            .app
            .project(
                &viewer.caller,
                id,
                granttrail_projections::PointInTime::Latest,
            )
            .await?;
        Ok::<_, AppError>((rows, view))
    };
    let (rows, view) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return error_page(viewer.lang, Some(&viewer), &error),
    };
    let plain = crate::pages::project::plain;
    let lines: Vec<AuditLine> = rows
        .into_iter()
        .map(|row| AuditLine {
            version: row.version,
            recorded_at: row.recorded_at,
            occurred_on: row.occurred_on,
            actor: row.actor,
            what: if viewer.lang == Lang::En {
                row.action
            } else {
                row.action_zh
            },
            changes: row
                .changes
                .iter()
                .map(|c| (c.field.clone(), plain(&c.before), plain(&c.after)))
                .collect(),
            hash: row.hash,
        })
        .collect();
    let lang = viewer.lang;
    let base = render::base(
        lang,
        Some(&viewer),
        &format!("/ui/projects/{id}/audit"),
        lang.text("audit_title"),
    );
    render::page(
        StatusCode::OK,
        "audit.html",
        base,
        context! {
            id => id.to_string(),
            project_title => view.project.title,
            rows => Value::from_serialize(
                lines.iter().map(|l| context! {
                    version => l.version,
                    recorded_at => l.recorded_at.clone(),
                    occurred_on => l.occurred_on.clone(),
                    actor => Value::from_serialize(&l.actor),
                    what => l.what.clone(),
                    changes => l.changes.iter().map(|(f, b, a)| context! { field => f, before => b, after => a }).collect::<Vec<_>>(),
                    hash => l.hash.clone(),
                }).collect::<Vec<_>>()
            ),
        },
    )
}

/// `GET /ui/projects/{id}/audit/csv`: the same CSV as the API's.
pub(crate) async fn audit_csv(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
) -> Response {
    match state.app.audit_trail(&viewer.caller, id).await {
        Ok(rows) => match granttrail_projections::audit_csv(&rows, true) {
            Ok(text) => download(
                text,
                "text/csv; charset=utf-8",
                &format!("audit-trail-{id}.csv"),
            ),
            Err(e) => error_page(
                viewer.lang,
                Some(&viewer),
                &AppError::render_failed("audit CSV", e),
            ),
        },
        Err(error) => error_page(viewer.lang, Some(&viewer), &error),
    }
}

/// `GET /ui/projects/{id}/verification`.
pub(crate) async fn verification(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
) -> Response {
    let app = &state.app;
    let loaded = async {
        let chain = app.verify(&viewer.caller, id).await?;
        let events = app.events(&viewer.caller, id).await?;
        let view = app
            .project(
                &viewer.caller,
                id,
                granttrail_projections::PointInTime::Latest,
            )
            .await?;
        // A server without the log has no checkpoints: nothing to show.
        let checkpoint = app.latest_checkpoint(&viewer.caller).await.ok().flatten();
        let mut proofs = Vec::with_capacity(events.len());
        for event in &events {
            let proof = match checkpoint {
                Some(_) => app
                    .inclusion_proof(&viewer.caller, event.position, None)
                    .await
                    .ok(),
                None => None,
            };
            proofs.push(context! {
                version => event.version,
                position => event.position,
                proof => proof.map(|p| Value::from_serialize(&p)),
            });
        }
        Ok::<_, AppError>((chain, view, checkpoint, proofs))
    };
    let (chain, view, checkpoint, proofs) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return error_page(viewer.lang, Some(&viewer), &error),
    };
    let lang = viewer.lang;
    let base = render::base(
        lang,
        Some(&viewer),
        &format!("/ui/projects/{id}/verification"),
        lang.text("verification_title"),
    );
    render::page(
        StatusCode::OK,
        "verification.html",
        base,
        context! {
            id => id.to_string(),
            project_title => view.project.title,
            chain => Value::from_serialize(&chain),
            checkpoint => checkpoint.map(|c| c.note),
            proofs => proofs,
        },
    )
}

/// `GET /ui/projects/{id}/export`: the signed bundle.
pub(crate) async fn export(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
) -> Response {
    match state.app.export(&viewer.caller, id).await {
        Ok(bytes) => download(bytes, "application/zip", &format!("granttrail-{id}.zip")),
        Err(error) => error_page(viewer.lang, Some(&viewer), &error),
    }
}
