//! Templates (minijinja, compiled into the binary, HTML escaped) and the
//! context every page shares.

use std::sync::OnceLock;

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use minijinja::{Environment, UndefinedBehavior, Value, context};

use crate::i18n::Lang;
use crate::session::Viewer;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("projects.html", include_str!("../templates/projects.html")),
    (
        "project_rows.html",
        include_str!("../templates/project_rows.html"),
    ),
    ("project.html", include_str!("../templates/project.html")),
    (
        "command_form.html",
        include_str!("../templates/command_form.html"),
    ),
    ("sign.html", include_str!("../templates/sign.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    (
        "verification.html",
        include_str!("../templates/verification.html"),
    ),
    ("error.html", include_str!("../templates/error.html")),
    ("exports.html", include_str!("../templates/exports.html")),
];

/// The environment, built once; a template that does not compile is a
/// failure of every render that names it (and of the tests).
fn environment() -> Result<&'static Environment<'static>, String> {
    static ENVIRONMENT: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| {
            let mut env = Environment::new();
            // A key missing from a catalogue, or a field missing from the
            // data, is an error when printed, never an empty string on the
            // page; asking whether an optional part is there is fine.
            env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
            for (name, source) in TEMPLATES {
                env.add_template(name, source)
                    .map_err(|e| format!("template {name} does not compile: {e}"))?;
            }
            Ok(env)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// What every page shows: language, messages, assets, who is signed in,
/// the session's form token, the current address (for the language
/// switch).
pub(crate) fn base(lang: Lang, viewer: Option<&Viewer>, here: &str, title: &str) -> Value {
    context! {
        lang => lang.tag(),
        tr => lang.messages(),
        assets => context! {
            css => crate::assets::named("app.css"),
            js => crate::assets::named("live.js"),
        },
        viewer => viewer.map(|v| context! {
            name => v.caller.actor().name,
            role => v.caller.role().as_str(),
            org_id => v.caller.org_id(),
        }),
        csrf => viewer.map(|v| v.session.form_token.clone()).unwrap_or_default(),
        here => here,
        title => title,
        notice => Value::from(()),
    }
}

/// Renders `template` with `base` and `page` merged, as a page answering
/// `status`.
pub(crate) fn page(status: StatusCode, template: &str, base: Value, page: Value) -> Response {
    match render(template, base, page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(template, %error, "a page could not be rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>granttrail</title><p>This page could not be shown; an operator has been told.</p>".to_owned()),
            )
                .into_response()
        }
    }
}

/// The HTML of `template`.
pub(crate) fn render(template: &str, base: Value, page: Value) -> Result<String, String> {
    let env = environment()?;
    let merged = context! { ..page, ..base };
    env.get_template(template)
        .and_then(|t| t.render(merged))
        .map_err(|e| format!("{e:#}"))
}
