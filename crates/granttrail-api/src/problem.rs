//! RFC 9457 problem details: the only shape an error leaves the server in.

use axum::Json;
use axum::response::{IntoResponse, Response};
use granttrail_app::AppError;
use granttrail_domain::{FieldError, Rejection};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::{Map, Value};

/// One invalid field, as reported to clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InvalidField {
    /// JSON Pointer into the request body.
    pub pointer: String,
    /// Stable machine code.
    pub code: String,
    /// Plain words.
    pub message: String,
}

impl From<FieldError> for InvalidField {
    fn from(e: FieldError) -> Self {
        InvalidField {
            pointer: e.pointer,
            code: e.code.to_owned(),
            message: e.message,
        }
    }
}

/// The body of every error answer (RFC 9457, `application/problem+json`),
/// as the OpenAPI document describes it. Some problems add members of
/// their own (`version`, `current_version`, `stage`, `allowed`, `table`,
/// `output`, `parameter`), documented in docs/api.md.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDocument {
    /// `urn:granttrail:problem:` and the code.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short title.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened and what to do, in plain words.
    pub detail: String,
    /// The stable machine code.
    pub code: String,
    /// Every invalid field, with its JSON Pointer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<InvalidField>,
}

/// A problem response under construction (boxed: errors travel through
/// every handler's `Result`, and a small `Err` keeps those cheap).
#[derive(Debug)]
pub struct Problem(Box<Details>);

#[derive(Debug)]
struct Details {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<InvalidField>,
    extensions: Map<String, Value>,
    etag: Option<String>,
}

impl Problem {
    /// A problem with a status, a stable code, a short title and a detail.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Problem {
        Problem(Box::new(Details {
            status,
            code,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            extensions: Map::new(),
            etag: None,
        }))
    }

    /// Adds field errors (validation problems).
    pub fn with_errors(mut self, errors: Vec<InvalidField>) -> Problem {
        self.0.errors = errors;
        self
    }

    /// Adds a member beside the standard ones.
    pub fn with(mut self, key: &str, value: Value) -> Problem {
        self.0.extensions.insert(key.to_owned(), value);
        self
    }

    /// Sends the project's current ETag with the problem (412).
    pub fn with_etag(mut self, etag: String) -> Problem {
        self.0.etag = Some(etag);
        self
    }

    /// The stable code (the last segment of `type`).
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// 400 for a body that is not JSON at all.
    pub fn malformed_json(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "Malformed JSON",
            detail,
        )
    }

    /// 422 for a body whose fields are of the wrong shape.
    pub fn invalid(errors: Vec<InvalidField>) -> Problem {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.pointer, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "The request breaks a rule",
            detail,
        )
        .with_errors(errors)
    }

    /// 400 for a query parameter or header that cannot be read.
    pub fn bad_parameter(parameter: &str, message: impl Into<String>) -> Problem {
        let message = message.into();
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-parameter",
            "Bad request parameter",
            message.clone(),
        )
        .with("parameter", Value::String(parameter.to_owned()))
    }

    /// 404.
    pub fn not_found() -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "no such resource",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let this = *self.0;
        let mut body = Map::new();
        body.insert(
            "type".into(),
            format!("urn:granttrail:problem:{}", this.code).into(),
        );
        body.insert("title".into(), this.title.into());
        body.insert("status".into(), this.status.as_u16().into());
        body.insert("detail".into(), this.detail.into());
        body.insert("code".into(), this.code.into());
        if !this.errors.is_empty() {
            body.insert(
                "errors".into(),
                serde_json::to_value(&this.errors).unwrap_or(Value::Array(Vec::new())),
            );
        }
        body.extend(this.extensions);
        let mut response = (this.status, Json(Value::Object(body))).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if this.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the oversized body is never read; closing the
            // connection stops a client from reusing it mid-upload.
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(etag) = this.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            headers.insert(header::ETAG, etag);
        }
        response
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Problem {
        match error {
            AppError::NotFound => Problem::not_found(),
            AppError::ImportRefused { message } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "import-refused",
                "The history cannot be imported",
                message,
            ),
            AppError::AttachmentDamaged { sha256, why, .. } => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "attachment-damaged",
                "The attachment is damaged",
                format!("attachment {sha256} is not served: {why}"),
            )
            .with("sha256", Value::String(sha256)),
            AppError::UserExists { id } => Problem::new(
                StatusCode::CONFLICT,
                "user-exists",
                "User exists",
                format!("a user with id '{id}' already exists"),
            )
            .with("user_id", Value::String(id)),
            AppError::NotYetExisting {
                point,
                first_date,
                first_recorded_at,
            } => Problem::new(
                StatusCode::NOT_FOUND,
                "not-yet-existing",
                "Not yet existing",
                format!(
                    "the project did not exist yet at {point}; it was signed on {first_date} and first recorded at {}",
                    first_recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                ),
            )
            .with("first_date", Value::String(first_date.to_string()))
            .with(
                "first_recorded_at",
                Value::String(first_recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            ),
            AppError::Unauthenticated => unauthenticated("the bearer token is unknown or revoked"),
            AppError::Forbidden(why) => Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", why),
            AppError::PreconditionRequired => Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition-required",
                "If-Match required",
                "send If-Match with the ETag of the version you last saw, e.g. If-Match: \"3\"",
            ),
            AppError::VersionMismatch { expected, current } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "version-conflict",
                "The project changed",
                format!("you sent If-Match \"{expected}\" but the project is at version {current}; reload it and decide again"),
            )
            .with("current_version", current.into())
            .with_etag(format!("\"{current}\"")),
            AppError::Rejected(Rejection::Invalid(errors)) => {
                Problem::invalid(errors.into_iter().map(InvalidField::from).collect())
            }
            AppError::Rejected(rejection @ Rejection::InvalidTransition { .. }) => {
                let Rejection::InvalidTransition { stage, allowed, .. } = &rejection else {
                    unreachable!("matched above")
                };
                let allowed: Vec<Value> = allowed.iter().map(|k| Value::from(k.as_str())).collect();
                let stage = stage.as_str();
                Problem::new(StatusCode::CONFLICT, "invalid-transition", "Not allowed in this stage", rejection.to_string())
                    .with("stage", stage.into())
                    .with("allowed", Value::Array(allowed))
            }
            AppError::Rejected(Rejection::FourEyes(refusal)) => {
                let granttrail_domain::FourEyesRefusal {
                    rule,
                    author,
                    actor,
                    message,
                } = *refusal;
                let person = |p: granttrail_domain::Person| serde_json::json!({"id": p.id, "name": p.name});
                Problem::new(StatusCode::FORBIDDEN, "four-eyes", "Four eyes required", message)
                    .with("rule", Value::from(rule))
                    .with("author", person(author))
                    .with("actor", person(actor))
            }
            AppError::Rejected(Rejection::ProjectNotFound) => Problem::not_found(),
            AppError::Rejected(Rejection::ProjectAlreadyExists) => Problem::new(
                StatusCode::CONFLICT,
                "project-exists",
                "The project exists",
                "this project id is already taken",
            ),
            AppError::DuplicateCode { code } => Problem::new(
                StatusCode::CONFLICT,
                "duplicate-code",
                "Project code taken",
                format!("project code '{code}' is already used by another project"),
            )
            .with_errors(vec![InvalidField {
                pointer: "/code".into(),
                code: "duplicate".into(),
                message: format!("project code '{code}' is already used by another project"),
            }]),
            AppError::ReportNotReady => Problem::new(
                StatusCode::CONFLICT,
                "report-not-ready",
                "No report yet",
                "the evaluation report exists once a draft has been recorded (POST …/drafts)",
            ),
            AppError::IdempotencyKeyReused { key } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                format!("Idempotency-Key '{key}' was already used for a different request; use a new key for a new request"),
            ),
            AppError::BadParameter { parameter, message } => Problem::bad_parameter(&parameter, message),
            AppError::IntegrityFailed { version, .. } => {
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "integrity-failed",
                    "History failed its integrity check",
                    format!("this project's stored history fails its hash chain at version {version}; it is neither served nor changed until an operator restores it (granttrail verify)"),
                )
                .with("version", version.into())
            }
            AppError::LogInconsistent(_) => {
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "log-inconsistent",
                    "The log does not extend its checkpoint",
                    "the stored transparency log does not extend the newest signed checkpoint; nothing is signed until an operator restores it (granttrail verify)",
                )
            }
            AppError::ProjectionStuck(_) => {
                unavailable("the project list stopped at an event it cannot apply; an operator has been told (see /readyz and granttrail verify)")
            }
            AppError::Corrupt(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "history-unreadable",
                "Stored history cannot be read",
                "this project's stored events cannot be read back; nothing was written, and an operator has been told (see granttrail verify)",
            ),
            AppError::RenderFailed { what, .. } => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "render-failed",
                "The output could not be produced",
                format!("the {what} could not be produced from this project's history, which reads correctly; nothing was written, and an operator has been told"),
            )
            .with("output", what.into()),
            AppError::Internal(_) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "granttrail failed in a way it should not; nothing was written, and an operator has been told",
            ),
            AppError::CorruptRow { table, .. } => {
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "stored-row-unreadable",
                    "A stored row cannot be read",
                    format!("a row of the {table} table cannot be read back; nothing was written, and an operator has been told"),
                )
                .with("table", table.into())
            }
            AppError::Unavailable(_) => {
                unavailable("the event store could not be reached; nothing was written")
            }
        }
    }
}

/// 401.
pub fn unauthenticated(detail: &str) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Unauthenticated",
        detail,
    )
}

/// 503.
pub fn unavailable(detail: &str) -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Service unavailable",
        detail,
    )
}

/// Handlers answer `Result<_, Problem>`; `?` on an app result maps here.
pub type ApiResult<T> = Result<T, Problem>;

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(error: AppError) -> (u16, &'static str) {
        let problem = Problem::from(error);
        (problem.status().as_u16(), problem.code())
    }

    #[test]
    fn each_failure_answers_with_its_own_cause() {
        assert_eq!(
            answer(AppError::RenderFailed {
                what: "bundle",
                reason: "zip: disk full".into()
            }),
            (500, "render-failed"),
            "a bundle that cannot be written is not an integrity failure"
        );
        assert_eq!(
            answer(AppError::Internal("no state".into())),
            (500, "internal")
        );
        assert_eq!(
            answer(AppError::Corrupt("event 3 does not decode".into())),
            (503, "history-unreadable")
        );
        assert_eq!(
            answer(AppError::CorruptRow {
                table: "tokens",
                key: "t1".into(),
                reason: "unknown role".into()
            }),
            (503, "stored-row-unreadable")
        );
        assert_eq!(
            answer(AppError::Unavailable("refused".into())),
            (503, "unavailable")
        );
    }

    #[test]
    fn internal_text_never_reaches_the_client() {
        let problem = Problem::from(AppError::Internal("secret path /var/x".into()));
        assert!(!problem.0.detail.contains("/var/x"), "{}", problem.0.detail);
        let problem = Problem::from(AppError::RenderFailed {
            what: "report",
            reason: "template line 7".into(),
        });
        assert!(!problem.0.detail.contains("line 7"), "{}", problem.0.detail);
    }
}
