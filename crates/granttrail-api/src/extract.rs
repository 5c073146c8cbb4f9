//! Reading requests strictly: who is calling, the body, the preconditions.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use granttrail_app::{Caller, IdempotencyRequest};
use granttrail_domain::{Command, CommandKind};
use http::request::Parts;
use http::{HeaderMap, StatusCode, header};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::problem::{InvalidField, Problem, unauthenticated};
use crate::strict_json::{self, Fault, Refused};
use crate::value_reader::{BodyError, ValueReader};
use crate::{ApiState, BODY_LIMIT};

/// The secret of an `Authorization: Bearer TOKEN` header. The scheme is
/// case-insensitive (RFC 9110 §11.1).
pub fn bearer_secret(value: &http::HeaderValue) -> Option<&str> {
    value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, secret)| secret.trim())
        .filter(|s| !s.is_empty() && s.len() <= 256)
}

/// The caller, established from `Authorization: Bearer TOKEN`.
pub struct Authenticated(pub Caller);

impl FromRequestParts<ApiState> for Authenticated {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(unauthenticated(
                "send Authorization: Bearer TOKEN (see granttrail token create)",
            ));
        };
        let secret = bearer_secret(value)
            .ok_or_else(|| unauthenticated("the Authorization header must be: Bearer TOKEN"))?;
        let caller = state.app.authenticate(secret).await?;
        tracing::Span::current().record("token_id", caller.id());
        Ok(Authenticated(caller))
    }
}

/// A query string read strictly into `T` (unknown parameters and bad
/// values are refused), or a 400 problem naming what is wrong.
pub struct StrictQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for StrictQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(query)| StrictQuery(query))
            .map_err(|e| Problem::bad_parameter("query", e.body_text()))
    }
}

/// A JSON request body: `Content-Type: application/json`, at most
/// [`BODY_LIMIT`] bytes, I-JSON (checked by `strict_json` as it is read).
pub struct JsonBody {
    /// The document's text.
    bytes: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let media = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media != "application/json"
            && !(media.starts_with("application/") && media.ends_with("+json"))
        {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "JSON required",
                format!("send Content-Type: application/json (got '{content_type}')"),
            ));
        }
        let too_large = || {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Body too large",
                format!("the body is larger than {BODY_LIMIT} bytes"),
            )
        };
        if request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n > BODY_LIMIT)
        {
            return Err(too_large());
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    Problem::malformed_json(format!("the body could not be read: {rejection}"))
                }
            })?;
        strict_json::check(&bytes).map_err(refusal)?;
        Ok(JsonBody { bytes })
    }
}

impl JsonBody {
    /// The body's tree (it was checked when read, so this refuses nothing
    /// that was let in).
    pub fn value(&self) -> Result<Value, Problem> {
        strict_json::parse(&self.bytes).map_err(refusal)
    }
}

/// The problem for a body that is not I-JSON.
fn refusal(refused: Refused) -> Problem {
    match refused {
        Refused::Syntax(e) => Problem::malformed_json(format!("the body is not valid JSON: {e}")),
        Refused::Fault(Fault::DuplicateKey { pointer }) => Problem::new(
            StatusCode::BAD_REQUEST,
            "duplicate-key",
            "A member is named twice",
            format!("{pointer}: this member appears more than once; send it once"),
        )
        .with_errors(vec![InvalidField {
            pointer,
            code: "duplicate-key".into(),
            message: "this member appears more than once".into(),
        }]),
        Refused::Fault(Fault::UnsafeInteger { pointer }) => Problem::invalid(vec![InvalidField {
            pointer,
            code: "integer-out-of-range".into(),
            message: format!(
                "integers must lie within ±{} (I-JSON, RFC 7493), so that every verifier reads them exactly",
                strict_json::MAX_SAFE_INTEGER
            ),
        }]),
    }
}

/// Escapes one JSON Pointer reference token (RFC 6901).
fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } => Some(format!("/{}", escape_token(key))),
            Segment::Enum { variant } => Some(format!("/{}", escape_token(variant))),
            Segment::Unknown => None,
        })
        .collect()
}

/// Reads a command body of `kind`, reporting the first bad field with its
/// JSON Pointer: unknown fields are a 400 (`unknown-field`), wrong types,
/// missing fields and impossible values a 422 (`validation-failed`).
///
/// A body that fits is read straight from its text into the command; only
/// one that does not is read again through its tree, so that the refusal
/// names the field (the two readings agree on every body that fits: a
/// test reads the fixtures' commands both ways).
pub fn read_command(kind: CommandKind, body: &JsonBody) -> Result<Command, Problem> {
    let mut text = serde_json::Deserializer::from_slice(&body.bytes);
    if let Ok(command) = kind.read_body(&mut text)
        && text.end().is_ok()
    {
        return Ok(command);
    }
    read_command_from_tree(kind, &body.value()?)
}

/// [`read_command`] through the body's tree, with the refused field's
/// pointer.
fn read_command_from_tree(kind: CommandKind, body: &Value) -> Result<Command, Problem> {
    let mut track = serde_path_to_error::Track::new();
    let deserializer = serde_path_to_error::Deserializer::new(ValueReader(body), &mut track);
    kind.read_body(deserializer)
        .map_err(|error| body_problem(&track.path(), error))
}

/// Reads any other request body into `T` the same way as a command's:
/// an unknown field is a 400 (`unknown-field`) with its pointer, anything
/// else wrong a 422 with its pointer.
pub fn read_body<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, Problem> {
    let mut track = serde_path_to_error::Track::new();
    let deserializer = serde_path_to_error::Deserializer::new(ValueReader(body), &mut track);
    T::deserialize(deserializer).map_err(|error| body_problem(&track.path(), error))
}

/// The problem for a body serde could not read, at `path`: an unknown
/// member is the client's typo (400), anything else a value the contract
/// refuses (422).
fn body_problem(path: &serde_path_to_error::Path, error: BodyError) -> Problem {
    let mut pointer = pointer_of(path);
    let (code, text) = match error {
        BodyError::UnknownField(field) => return unknown_field(pointer, &field),
        BodyError::MissingField(field) => {
            pointer.push_str(&format!("/{}", escape_token(field)));
            ("required", format!("'{field}' is required"))
        }
        BodyError::InvalidType(message) => ("invalid-type", message),
        BodyError::InvalidValue(message) => ("invalid-value", message),
    };
    Problem::invalid(vec![InvalidField {
        pointer,
        code: code.into(),
        message: text,
    }])
}

fn unknown_field(mut pointer: String, field: &str) -> Problem {
    let token = format!("/{}", escape_token(field));
    if !pointer.ends_with(&token) {
        pointer.push_str(&token);
    }
    let text = format!("'{field}' is not a field of this request; remove it");
    Problem::new(
        StatusCode::BAD_REQUEST,
        "unknown-field",
        "Unknown field",
        format!("{pointer}: {text}"),
    )
    .with_errors(vec![InvalidField {
        pointer,
        code: "unknown-field".into(),
        message: text,
    }])
}

/// `If-Match` and `Idempotency-Key`, as the command path needs them.
pub struct Preconditions {
    /// The version the client last saw.
    pub if_match: Option<u64>,
    /// The client's idempotency key.
    pub idempotency_key: Option<String>,
    /// The request's correlation id (from `X-Request-Id` when it is a UUID).
    pub correlation_id: Uuid,
}

impl Preconditions {
    /// Reads the headers; a malformed value is a 400 naming the header.
    pub fn from_headers(headers: &HeaderMap) -> Result<Preconditions, Problem> {
        let if_match = match headers.get(header::IF_MATCH) {
            None => None,
            Some(value) => {
                let text = value.to_str().unwrap_or("").trim();
                let version = text
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .and_then(|t| t.parse::<u64>().ok());
                match version {
                    Some(v) => Some(v),
                    None => {
                        return Err(Problem::bad_parameter(
                            "If-Match",
                            format!(
                                "If-Match must be one ETag such as \"3\" (got '{text}'); '*' and weak tags are not accepted"
                            ),
                        ));
                    }
                }
            }
        };
        let idempotency_key = match headers.get("idempotency-key") {
            None => None,
            Some(value) => {
                let key = value.to_str().unwrap_or("").trim();
                if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(Problem::bad_parameter(
                        "Idempotency-Key",
                        "Idempotency-Key must be 1 to 255 visible ASCII characters",
                    ));
                }
                Some(key.to_owned())
            }
        };
        let correlation_id = headers
            .get(&crate::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(Uuid::now_v7);
        Ok(Preconditions {
            if_match,
            idempotency_key,
            correlation_id,
        })
    }

    /// The idempotency request for this command: the key and a fingerprint
    /// of method, path and the canonical (RFC 8785) body, so that a retry
    /// with reordered keys or other spacing still counts as the same.
    pub fn idempotency(&self, path: &str, body: &Value) -> Option<IdempotencyRequest> {
        let key = self.idempotency_key.clone()?;
        let canonical = serde_jcs::to_vec(body).unwrap_or_default();
        let mut hasher = Sha256::new();
        hasher.update(b"POST ");
        hasher.update(path.as_bytes());
        hasher.update(b"\n");
        hasher.update(&canonical);
        Some(IdempotencyRequest {
            key,
            fingerprint: hex::encode(hasher.finalize()),
        })
    }
}

/// Whether `raw` is a UUID in its one canonical form: 36 characters,
/// hyphenated 8-4-4-4-12 (hex digits in either case). `urn:uuid:`, braces
/// and the 32-digit form name the same id another way, and one id must
/// have one spelling (in logs, caches and idempotency fingerprints).
pub fn is_canonical_id(raw: &str) -> bool {
    raw.len() == 36
        && raw.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A path segment that must be a project (or token) id.
pub fn parse_id(raw: &str) -> Result<Uuid, Problem> {
    Some(raw)
        .filter(|r| is_canonical_id(r))
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!(
                    "'{}' is not an id",
                    raw.chars().take(80).collect::<String>()
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> JsonBody {
        strict_json::check(text.as_bytes()).unwrap();
        JsonBody {
            bytes: Bytes::copy_from_slice(text.as_bytes()),
        }
    }

    /// Every command of the fixtures: the seed's life and the source's
    /// recorded history.
    fn fixture_commands() -> Vec<(CommandKind, String)> {
        let mut commands = Vec::new();
        for (fixture, list) in [
            (
                include_str!("../../../tests/fixtures/seed-project.json"),
                "commands",
            ),
            (
                include_str!("../../../tests/fixtures/source-history.json"),
                "facts",
            ),
        ] {
            let fixture: Value = serde_json::from_str(fixture).unwrap();
            let items = fixture
                .pointer("/projects/0")
                .and_then(|p| p.get(list))
                .and_then(Value::as_array)
                .unwrap();
            for item in items {
                let kind = serde_json::from_value(item["command"].clone()).unwrap();
                commands.push((kind, item["body"].to_string()));
            }
        }
        commands
    }

    #[test]
    fn a_body_that_fits_reads_the_same_from_its_text_as_from_its_tree() {
        let commands = fixture_commands();
        assert!(commands.len() >= 15, "{} commands", commands.len());
        for (kind, text) in commands {
            let from_text = read_command(kind, &body(&text)).unwrap();
            let mut direct = serde_json::Deserializer::from_slice(text.as_bytes());
            assert!(kind.read_body(&mut direct).is_ok(), "{kind}: {text}");
            let from_tree = read_command_from_tree(kind, &body(&text).value().unwrap()).unwrap();
            assert_eq!(from_text, from_tree, "{kind}: {text}");
        }
    }

    #[test]
    fn a_body_that_does_not_fit_is_refused_as_its_tree_refuses_it() {
        let sign = r#"{"title": "t", "programme": "p", "funder": "f",
            "executor": {"org_id": "o", "name": "n"}, "communities": [],
            "applied_on": "2022-04-20", "signed_on": "2022-05-11",
            "period": {"start": "2022-05-11", "end": "2022-10-10"},
            "funding": {"matching_source": "m"}, "indicators": [INDICATOR]EXTRA}"#;
        let indicator =
            r#"{"key": "k", "label": "l", "unit": "u", "target": 4, "comparison": "at_least"}"#;
        assert!(
            read_command(
                CommandKind::Sign,
                &body(&sign.replace("INDICATOR", indicator).replace("EXTRA", ""))
            )
            .is_ok()
        );
        for (indicator, extra) in [
            (indicator, r#", "colour": "red""#),
            (&indicator.replace("4", "4.5"), ""),
            (&indicator.replace("4", "\"4\""), ""),
            (&indicator.replace(r#""key": "k", "#, ""), ""),
            (indicator, r#", "predecessor": 7"#),
        ] {
            let text = sign.replace("INDICATOR", indicator).replace("EXTRA", extra);
            let refused = read_command(CommandKind::Sign, &body(&text)).unwrap_err();
            let from_tree =
                read_command_from_tree(CommandKind::Sign, &body(&text).value().unwrap())
                    .unwrap_err();
            assert_eq!(format!("{refused:?}"), format!("{from_tree:?}"), "{text}");
        }
    }
}
