//! The OpenAPI document: what each route's attribute says, completed from
//! the parts of the server that decide the rest, so that it cannot drift
//! from them:
//! - the error answers every route can give, from its shape (a token, a
//!   path id, query parameters, a body), all as `application/problem+json`;
//! - the roles that may call each route, from the permission table;
//! - request examples, from the seed project's own commands.

use std::collections::BTreeSet;

use granttrail_app::permissions::{Action, role_permits};
use granttrail_domain::CommandKind;
use granttrail_store::Role;
use serde_json::Value;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::problem::{InvalidField, ProblemDocument};

/// The media type of every error answer.
pub(super) const PROBLEM_JSON: &str = "application/problem+json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "granttrail",
        description = "Event-sourced lifecycle of foundation-funded projects: commands, time travel, audit. \
                       Every error is an RFC 9457 problem (`application/problem+json`) with a stable `code`; \
                       `x-roles` on each operation names the roles that may call it."
    ),
    components(schemas(ProblemDocument, InvalidField)),
    modifiers(&BearerAuth)
)]
pub(super) struct ApiDoc;

/// Completes the document once every route is in it.
pub(super) fn complete(openapi: &mut utoipa::openapi::OpenApi) {
    ErrorAnswers.modify(openapi);
    Roles.modify(openapi);
    SeedExamples.modify(openapi);
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation of the document with its method and path.
fn operations(
    openapi: &mut utoipa::openapi::OpenApi,
) -> Vec<(&'static str, String, &mut Operation)> {
    let mut found = Vec::new();
    for (path, item) in openapi.paths.paths.iter_mut() {
        for (method, operation) in [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("delete", item.delete.as_mut()),
            ("patch", item.patch.as_mut()),
        ] {
            if let Some(operation) = operation {
                found.push((method, path.clone(), operation));
            }
        }
    }
    found
}

/// The error answers an operation can give because of its shape, beyond
/// those its route lists itself.
fn shape_statuses(operation: &Operation) -> BTreeSet<u16> {
    let mut statuses = BTreeSet::new();
    let parameters: Vec<ParameterIn> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(parameter) => Some(parameter.parameter_in.clone()),
            RefOr::Ref(_) => None,
        })
        .collect();
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        // Bearer authentication.
        statuses.insert(401);
    }
    if parameters.contains(&ParameterIn::Path) {
        // An id that is malformed or names nothing visible to the caller.
        statuses.insert(404);
    }
    if parameters.contains(&ParameterIn::Query) {
        // A malformed, unknown or out-of-range parameter.
        statuses.insert(400);
    }
    if operation.request_body.is_some() {
        // Not JSON, a duplicated member, an unknown field; too large; not
        // JSON by its Content-Type; a field the contract refuses.
        statuses.extend([400, 413, 415, 422]);
    }
    // Internal faults, and a store that cannot be reached (or a request
    // that outlived the 30-second timeout).
    statuses.extend([500, 503]);
    statuses
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => {
            "bad request: see `code` (malformed-json, unknown-field, duplicate-key, bad-parameter)"
        }
        401 => "unauthenticated: no bearer token, or an unknown, revoked or expired one",
        403 => "forbidden: the caller's role may not do this",
        404 => "not-found",
        409 => "conflict: see `code`",
        412 => "version-conflict: If-Match names an older version",
        413 => "payload-too-large",
        415 => "unsupported-media-type: send application/json",
        422 => "validation-failed: `errors` names each field by JSON Pointer",
        428 => "precondition-required: send If-Match",
        500 => "internal or render-failed: nothing was written, an operator was told",
        503 => "unavailable, integrity-failed, history-unreadable or stored-row-unreadable",
        _ => "an error",
    }
}

/// Every error answer, documented as a problem.
struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problem = || RefOr::T(Content::new(Some(Ref::from_schema_name("Problem"))));
        for (_, _, operation) in operations(openapi) {
            let mut statuses = shape_statuses(operation);
            statuses.extend(
                operation
                    .responses
                    .responses
                    .keys()
                    .filter_map(|s| s.parse::<u16>().ok())
                    .filter(|s| *s >= 400),
            );
            for status in statuses {
                let entry = operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::T(Response::new(status_text(status))));
                if let RefOr::T(response) = entry {
                    response.content.clear();
                    response.content.insert(PROBLEM_JSON.to_owned(), problem());
                }
            }
        }
    }
}

/// Who may call a route: the action it asks the permission table about,
/// or `None` for a route any caller with a token (or anyone) may use.
pub(super) fn action_of(method: &str, path: &str) -> Option<Action> {
    let command = |kind| Some(Action::Command(kind));
    match (method, path) {
        ("post", "/api/v1/projects") => command(CommandKind::Sign),
        ("post", "/api/v1/projects/{id}/extensions") => command(CommandKind::Extend),
        ("post", "/api/v1/projects/{id}/midterm-evaluations") => command(CommandKind::Midterm),
        ("post", "/api/v1/projects/{id}/self-reports") => command(CommandKind::SubmitSelfReport),
        ("post", "/api/v1/projects/{id}/reviews") => command(CommandKind::Review),
        ("post", "/api/v1/projects/{id}/site-visits") => command(CommandKind::Visit),
        ("post", "/api/v1/projects/{id}/drafts") => command(CommandKind::Draft),
        ("post", "/api/v1/projects/{id}/finalization") => command(CommandKind::Finalize),
        ("post", "/api/v1/projects/{id}/corrections") => command(CommandKind::Correct),
        ("post", "/api/v1/projects/{id}/attachments") => command(CommandKind::Attach),
        ("post", "/api/v1/projects/{id}/attachment-withdrawals") => {
            command(CommandKind::WithdrawAttachment)
        }
        ("get", "/api/v1/projects/{id}/attachments/{sha256}") => Some(Action::ReadProject),
        ("post", "/api/v1/projects/{id}/tranche-releases") => command(CommandKind::ReleaseTranche),
        ("get", "/api/v1/projects") => Some(Action::ListProjects),
        ("get", "/api/v1/events" | "/api/v1/events/stream") => Some(Action::ReadEveryEvent),
        ("get", "/api/v1/exports/audit-trail.csv") => Some(Action::ExportEveryProject),
        (
            "get",
            "/api/v1/log/checkpoint" | "/api/v1/log/checkpoints" | "/api/v1/log/consistency",
        ) => Some(Action::ReadLog),
        ("get", "/api/v1/log/inclusion") => Some(Action::ReadProject),
        (_, "/api/v1/tokens" | "/api/v1/tokens/{id}") => Some(Action::ManageTokens),
        (_, "/api/v1/users" | "/api/v1/users/{id}/disable") => Some(Action::ManageUsers),
        (_, "/api/v1/imports/historical" | "/api/v1/imports/historical/template") => {
            Some(Action::ImportHistory)
        }
        ("get", path) if path.starts_with("/api/v1/projects/{id}") => Some(Action::ReadProject),
        _ => None,
    }
}

/// The roles that may call each operation, as `x-roles` and in words.
struct Roles;

impl Modify for Roles {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (method, path, operation) in operations(openapi) {
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let roles: Vec<&str> = match action_of(method, &path) {
                Some(action) => Role::ALL
                    .into_iter()
                    .filter(|role| role_permits(*role, action))
                    .map(Role::as_str)
                    .collect(),
                None if secured => Role::ALL.into_iter().map(Role::as_str).collect(),
                None => Vec::new(),
            };
            let words = if !secured {
                "Roles: anyone; no token needed.".to_owned()
            } else if roles.contains(&"executor")
                && matches!(
                    action_of(method, &path),
                    Some(Action::ReadProject | Action::ListProjects | Action::Command(_))
                )
            {
                format!(
                    "Roles: {} (an executor only for its own organisation's projects).",
                    roles.join(", ")
                )
            } else {
                format!("Roles: {}.", roles.join(", "))
            };
            operation.description = Some(match operation.description.take() {
                Some(text) => format!("{text}\n\n{words}"),
                None => words,
            });
            let extensions = operation.extensions.get_or_insert_with(Default::default);
            extensions.insert("x-roles".to_owned(), Value::from(roles));
        }
    }
}

/// The seed project: its commands are the request examples.
const SEED: &str = include_str!("../../../../tests/fixtures/seed-project.json");
/// The source's mid-term evaluation, which the seed's commands lack.
const SEED_MIDTERM: &str = include_str!("../../../../tests/fixtures/seed-midterm.json");

/// Each command route's request example: the seed project's first command
/// of that kind.
struct SeedExamples;

impl Modify for SeedExamples {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Ok(seed) = serde_json::from_str::<Value>(SEED) else {
            return;
        };
        let mut commands: Vec<Value> = seed["projects"][0]["commands"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        commands.extend(serde_json::from_str::<Value>(SEED_MIDTERM));
        for (method, path, operation) in operations(openapi) {
            let Some(Action::Command(kind)) = action_of(method, &path) else {
                continue;
            };
            let example = commands
                .iter()
                .find(|c| c["command"] == kind.as_str())
                .map(|c| c["body"].clone());
            if let (Some(example), Some(body)) = (example, operation.request_body.as_mut())
                && let RefOr::T(body) = body
            {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content {
                        content.example = Some(example.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        serde_json::to_value(super::super::openapi()).unwrap_or_default()
    }

    #[test]
    fn every_operation_names_its_roles_from_the_permission_table() {
        let doc = document();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        assert!(!paths.is_empty());
        for (path, item) in paths {
            for (method, operation) in item.as_object().cloned().unwrap_or_default() {
                assert!(
                    operation["x-roles"].is_array(),
                    "{method} {path} names no roles"
                );
            }
        }
        let finalize = &doc["paths"]["/api/v1/projects/{id}/finalization"]["post"];
        assert_eq!(finalize["x-roles"], serde_json::json!(["admin", "staff"]));
        let self_report = &doc["paths"]["/api/v1/projects/{id}/self-reports"]["post"];
        assert_eq!(
            self_report["x-roles"],
            serde_json::json!(["admin", "staff", "executor"])
        );
        let tokens = &doc["paths"]["/api/v1/tokens"]["get"];
        assert_eq!(tokens["x-roles"], serde_json::json!(["admin"]));
    }

    #[test]
    fn every_error_answer_is_a_problem() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
            for (method, operation) in item.as_object().cloned().unwrap_or_default() {
                for (status, response) in operation["responses"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
                {
                    if status.as_str() >= "400" {
                        assert_eq!(
                            response["content"][PROBLEM_JSON]["schema"]["$ref"],
                            "#/components/schemas/Problem",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn command_bodies_have_schemas_and_seed_examples() {
        let doc = document();
        let sign =
            &doc["paths"]["/api/v1/projects"]["post"]["requestBody"]["content"]["application/json"];
        assert_eq!(sign["schema"]["$ref"], "#/components/schemas/SignProject");
        assert!(sign["example"]["title"].is_string(), "{sign}");
        let review = &doc["components"]["schemas"]["ReviewOutcome"];
        assert_eq!(review["enum"], serde_json::json!(["accepted", "returned"]));
    }
}
