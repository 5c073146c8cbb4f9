//! Recording from forms: a posted form becomes the command the API would
//! read, carrying the version the page showed (`If-Match`) and the key made
//! when the form was rendered (a double submit writes once). A refusal is
//! shown in the form, next to its fields, in the page's language.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use granttrail_app::{AppError, CommandRequest, IdempotencyRequest};
use granttrail_domain::{CommandKind, Project, Rejection};
use granttrail_projections::PointInTime;
use http::{HeaderMap, StatusCode};
use minijinja::{Value, context};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::WebState;
use crate::forms::{attach, body_of, command_of, field_errors, form};
use crate::pages::error_page;
use crate::pages::project::{Refused, page_with_refusal};
use crate::render;
use crate::session::{Viewer, ViewerOf};

/// A posted form's fields (a field sent twice keeps its last value).
type Fields = Vec<(String, String)>;

fn values_of(fields: Fields) -> BTreeMap<String, String> {
    fields.into_iter().collect()
}

/// `GET /ui/projects/new`: the signing form.
pub(crate) async fn sign_form(viewer: Viewer) -> Response {
    sign_page(
        &viewer,
        &BTreeMap::new(),
        &BTreeMap::new(),
        None,
        StatusCode::OK,
    )
}

fn sign_page(
    viewer: &Viewer,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    if let Err(error) = granttrail_app::permissions::permits(
        &viewer.caller,
        granttrail_app::permissions::Action::Command(CommandKind::Sign),
    ) {
        return error_page(lang, Some(viewer), &error);
    }
    let key = values
        .get("idempotency_key")
        .cloned()
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    let form = form(CommandKind::Sign, lang, None, None, values, errors, key);
    let base = render::base(
        lang,
        Some(viewer),
        "/ui/projects/new",
        lang.text("cmd_sign"),
    );
    render::page(
        status,
        "sign.html",
        base,
        context! { form => Value::from_serialize(&form), form_error => message },
    )
}

/// `POST /ui/projects`: signs a project from the form.
pub(crate) async fn sign(
    State(state): State<WebState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let values = values_of(fields);
    if let Some(refusal) = viewer.refuse_form(&headers, values.get("csrf").map(String::as_str)) {
        return refusal;
    }
    let id = Uuid::now_v7();
    match record(&state, &viewer, CommandKind::Sign, id, None, &values).await {
        Ok(()) => Redirect::to(&format!("/ui/projects/{id}?done=sign")).into_response(),
        Err(Outcome::Refused(refused)) => sign_page(
            &viewer,
            &refused.values,
            &refused.errors,
            Some(refused.message),
            refused.status,
        ),
        Err(Outcome::Failed(error)) => error_page(viewer.lang, Some(&viewer), &error),
    }
}

/// `POST /ui/projects/{id}/commands/{kind}`.
pub(crate) async fn command(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
    headers: HeaderMap,
    Path((_, kind)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let values = values_of(fields);
    if let Some(refusal) = viewer.refuse_form(&headers, values.get("csrf").map(String::as_str)) {
        return refusal;
    }
    let Some(kind) = CommandKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind && !matches!(k, CommandKind::Sign | CommandKind::Attach))
    else {
        return error_page(viewer.lang, Some(&viewer), &AppError::NotFound);
    };
    let project = match state
        .app
        .project(&viewer.caller, id, PointInTime::Latest)
        .await
    {
        Ok(view) => view.project,
        Err(error) => return error_page(viewer.lang, Some(&viewer), &error),
    };
    let here = format!("/ui/projects/{id}");
    match record(&state, &viewer, kind, id, Some(&project), &values).await {
        Ok(()) => Redirect::to(&format!("{here}?done={}#timeline", kind.as_str())).into_response(),
        Err(Outcome::Refused(refused)) => page_with_refusal(&state, &viewer, id, refused).await,
        Err(Outcome::Failed(error)) => error_page(viewer.lang, Some(&viewer), &error),
    }
}

/// Why a form was not recorded.
enum Outcome {
    /// Shown in the form again.
    Refused(Refused),
    /// Shown as an error page.
    Failed(AppError),
}

/// Reads the form as `kind`'s command and runs it.
async fn record(
    state: &WebState,
    viewer: &Viewer,
    kind: CommandKind,
    id: Uuid,
    project: Option<&Project>,
    values: &BTreeMap<String, String>,
) -> Result<(), Outcome> {
    let lang = viewer.lang;
    let refuse = |errors: BTreeMap<String, String>, message: String, status| {
        let (errors, loose) = attach(errors, kind, project);
        let message = if loose.is_empty() {
            message
        } else {
            format!("{message} {}", loose.join("; "))
        };
        Outcome::Refused(Refused {
            kind,
            values: values.clone(),
            errors,
            message,
            status,
        })
    };
    let fix = || lang.text("fix_fields").to_owned();
    let body = body_of(kind, project, values, lang)
        .map_err(|errors| refuse(errors, fix(), StatusCode::UNPROCESSABLE_ENTITY))?;
    let command = command_of(kind, &body, lang)
        .map_err(|errors| refuse(errors, fix(), StatusCode::UNPROCESSABLE_ENTITY))?;
    let path = match kind {
        CommandKind::Sign => "/ui/projects".to_owned(),
        _ => format!("/ui/projects/{id}/commands/{}", kind.as_str()),
    };
    // The same key for the same form: a second submit is answered from
    // the first; a different body under it is refused.
    let idempotency = values
        .get("idempotency_key")
        .filter(|k| !k.is_empty())
        .map(|key| IdempotencyRequest {
            key: format!("ui:{key}"),
            fingerprint: hex::encode(Sha256::digest(format!("POST {path}\n{body}"))),
        });
    let if_match = match kind {
        CommandKind::Sign => None,
        _ => values.get("version").and_then(|v| v.parse::<u64>().ok()),
    };
    let request = CommandRequest {
        project_id: id,
        command,
        if_match,
        idempotency,
        correlation_id: Uuid::now_v7(),
        causation_id: None,
    };
    match state.app.execute(&viewer.caller, request).await {
        Ok(_) => Ok(()),
        Err(AppError::VersionMismatch { expected, current }) => Err(refuse(
            BTreeMap::new(),
            lang.text("stale")
                .replace("{current}", &current.to_string())
                .replace("{expected}", &expected.to_string()),
            StatusCode::CONFLICT,
        )),
        Err(AppError::PreconditionRequired) => Err(refuse(
            BTreeMap::new(),
            lang.text("form_refused").to_owned(),
            StatusCode::PRECONDITION_REQUIRED,
        )),
        Err(AppError::Rejected(Rejection::Invalid(errors))) => Err(refuse(
            field_errors(&errors, lang),
            fix(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(AppError::Rejected(Rejection::InvalidTransition { .. })) => Err(refuse(
            BTreeMap::new(),
            lang.text("not_allowed_now").to_owned(),
            StatusCode::CONFLICT,
        )),
        Err(AppError::Rejected(Rejection::FourEyes(refusal))) => Err(refuse(
            BTreeMap::new(),
            lang.text("four_eyes")
                .replace("{author}", &refusal.author.to_string()),
            StatusCode::FORBIDDEN,
        )),
        Err(AppError::DuplicateCode { code }) => Err(refuse(
            BTreeMap::from([(
                "code".to_owned(),
                format!("{code}: {}", lang.text("err_duplicate")),
            )]),
            fix(),
            StatusCode::CONFLICT,
        )),
        Err(other) => Err(Outcome::Failed(other)),
    }
}
