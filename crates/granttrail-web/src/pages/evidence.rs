//! Evidence in the browser: the project page's file form (multipart; the
//! file streamed to staging exactly as the API's upload is) and downloads
//! checked against their hash.

use std::collections::BTreeMap;

use axum::extract::multipart::{Field, Multipart};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use granttrail_app::{
    AppError, IdempotencyRequest, StagingError, UploadFacts, disposition_of, evidence_from,
};
use granttrail_domain::{BusinessDate, CommandKind, Rejection};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

use crate::WebState;
use crate::forms::field_errors;
use crate::pages::error_page;
use crate::pages::project::{Refused, page_with_refusal};
use crate::session::{Viewer, ViewerOf};

/// The most bytes a text field of the file form may have.
const FIELD_LIMIT: usize = 4096;
/// The most text fields the file form may send before its file.
const FIELDS_LIMIT: usize = 16;

/// A text field's value, read chunk by chunk and refused as soon as it
/// passes `FIELD_LIMIT` (never read whole first).
async fn bounded_text(field: &mut Field<'_>, name: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| e.to_string())? {
        if bytes.len() + chunk.len() > FIELD_LIMIT {
            return Err(format!(
                "the field {name} is longer than {FIELD_LIMIT} bytes"
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| format!("the field {name} is not UTF-8"))
}

/// Why the file form was not recorded.
enum Outcome {
    /// Shown beside the form again, with this status.
    Refused(String, StatusCode),
    /// Shown as an error page.
    Failed(AppError),
}

/// `POST /ui/projects/{id}/attachments`: attaches the form's file.
pub(crate) async fn upload(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    // The text fields come first (the form puts the file last), so the
    // form token is checked before a byte of the file is read. This route
    // has no body limit (the file stops itself at attachment_max_bytes),
    // so the fields before it are bounded here, in number and size, as
    // they are read.
    let mut values = BTreeMap::new();
    let mut outcome = None;
    let bad = |message: String| Some(Err(Outcome::Refused(message, StatusCode::BAD_REQUEST)));
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                outcome = bad(e.to_string());
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if let Some(refusal) =
                viewer.refuse_form(&headers, values.get("csrf").map(String::as_str))
            {
                return refusal;
            }
            outcome = Some(attach(&state, &viewer, id, &values, Some(field)).await);
            break;
        }
        if values.len() >= FIELDS_LIMIT {
            outcome = bad(format!("the form has more than {FIELDS_LIMIT} fields"));
            break;
        }
        match bounded_text(&mut field, &name).await {
            Ok(text) => {
                values.insert(name, text);
            }
            Err(message) => {
                outcome = bad(message);
                break;
            }
        }
    }
    if let Some(refusal) = viewer.refuse_form(&headers, values.get("csrf").map(String::as_str)) {
        return refusal;
    }
    let outcome = match outcome {
        Some(outcome) => outcome,
        None => attach(&state, &viewer, id, &values, None).await,
    };
    match outcome {
        Ok(()) => Redirect::to(&format!("/ui/projects/{id}?done=attach#evidence")).into_response(),
        Err(Outcome::Refused(message, status)) => {
            refused_page(&state, &viewer, id, values, message, status).await
        }
        Err(Outcome::Failed(error)) => error_page(viewer.lang, Some(&viewer), &error),
    }
}

async fn attach(
    state: &WebState,
    viewer: &Viewer,
    id: uuid::Uuid,
    values: &BTreeMap<String, String>,
    file: Option<Field<'_>>,
) -> Result<(), Outcome> {
    let lang = viewer.lang;
    let refuse = |message: &str, status| Outcome::Refused(message.to_owned(), status);
    let file =
        file.ok_or_else(|| refuse(lang.text("no_file"), StatusCode::UNPROCESSABLE_ENTITY))?;
    let name = file.file_name().unwrap_or_default().to_owned();
    if name.is_empty() {
        return Err(refuse(
            lang.text("no_file"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    // One choice names what the file evidences: `project`,
    // `stage:site_visited`, `indicator:KEY`, `finance_check:vouchers`.
    let chosen = values.get("evidences").map_or("project", String::as_str);
    let (of, detail) = chosen.split_once(':').unwrap_or((chosen, ""));
    let only = |kind: &str| Some(detail).filter(|_| of == kind);
    let evidences = evidence_from(
        Some(of),
        only("stage"),
        only("indicator"),
        only("finance_check"),
    )
    .map_err(|e| refuse(&e, StatusCode::UNPROCESSABLE_ENTITY))?;
    let added_on = match values.get("added_on").filter(|d| !d.is_empty()) {
        Some(day) => Some(
            BusinessDate::parse(day)
                .map_err(|e| refuse(&e.to_string(), StatusCode::UNPROCESSABLE_ENTITY))?,
        ),
        None => None,
    };
    let staged = state.app.stage_upload(file).await.map_err(|e| match e {
        StagingError::TooLarge { limit } => refuse(
            &lang
                .text("file_too_large")
                .replace("{limit}", &limit.to_string()),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        StagingError::UnsupportedMediaType => refuse(
            lang.text("file_type_refused"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        StagingError::BrokenOff(why) => refuse(&why, StatusCode::BAD_REQUEST),
        StagingError::Failed(error) => Outcome::Failed(error),
    })?;
    // The same key for the same form and file: a second submit is
    // answered from the first.
    let idempotency = values
        .get("idempotency_key")
        .filter(|k| !k.is_empty())
        .map(|key| IdempotencyRequest {
            key: format!("ui:{key}"),
            fingerprint: hex::encode(Sha256::digest(format!(
                "POST /ui/projects/{id}/attachments\n{}\n{name}\n{chosen}",
                staged.sha256
            ))),
        });
    let if_match = values.get("version").and_then(|v| v.parse::<u64>().ok());
    let facts = UploadFacts {
        name,
        evidences,
        added_on,
    };
    match state
        .app
        .attach(&viewer.caller, id, if_match, idempotency, staged, facts)
        .await
    {
        Ok(_) => Ok(()),
        Err(AppError::Rejected(Rejection::Invalid(errors))) => {
            let messages: Vec<String> = field_errors(&errors, lang).into_values().collect();
            Err(refuse(
                &messages.join("; "),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(AppError::VersionMismatch { expected, current }) => Err(refuse(
            &lang
                .text("stale")
                .replace("{current}", &current.to_string())
                .replace("{expected}", &expected.to_string()),
            StatusCode::CONFLICT,
        )),
        Err(AppError::Rejected(Rejection::InvalidTransition { .. })) => {
            Err(refuse(lang.text("not_allowed_now"), StatusCode::CONFLICT))
        }
        Err(other) => Err(Outcome::Failed(other)),
    }
}

/// The project page with the file form's refusal beside it.
async fn refused_page(
    state: &WebState,
    viewer: &Viewer,
    id: uuid::Uuid,
    values: BTreeMap<String, String>,
    message: String,
    status: StatusCode,
) -> Response {
    let refused = Refused {
        kind: CommandKind::Attach,
        values,
        errors: BTreeMap::new(),
        message,
        status,
    };
    page_with_refusal(state, viewer, id, refused).await
}

/// `GET /ui/projects/{id}/attachments/{sha256}`: the bytes, checked
/// against the hash their event promises.
pub(crate) async fn download(
    State(state): State<WebState>,
    ViewerOf { viewer, id }: ViewerOf,
    Path((_, sha256)): Path<(String, String)>,
) -> Response {
    match state.app.attachment(&viewer.caller, id, &sha256).await {
        Ok((attachment, bytes)) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            if let Ok(media) = HeaderValue::from_str(&attachment.media_type) {
                headers.insert(header::CONTENT_TYPE, media);
            }
            if let Ok(disposition) = HeaderValue::from_str(&disposition_of(&attachment.name)) {
                headers.insert(header::CONTENT_DISPOSITION, disposition);
            }
            response
        }
        Err(error) => error_page(viewer.lang, Some(&viewer), &error),
    }
}
