//! The seven command routes. Each reads its body strictly, then runs the
//! one command path of the app.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use granttrail_app::{CommandRequest, CommandResponse};
use granttrail_domain::{
    CommandKind, DraftEvaluation, ExtendPeriod, FinalizeEvaluation, RecordCorrection,
    RecordMidtermEvaluation, RecordSiteVisit, ReleaseTranche, ReviewSelfReport, SignProject,
    SubmitSelfReport, WithdrawAttachment,
};
use granttrail_projections::ProjectView;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use uuid::Uuid;

use crate::ApiState;
use crate::extract::{Authenticated, JsonBody, Preconditions, parse_id, read_command};
use crate::problem::{ApiResult, Problem};

async fn run(
    state: &ApiState,
    caller: &granttrail_app::Caller,
    kind: CommandKind,
    project_id: Uuid,
    path: &str,
    headers: &HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let preconditions = Preconditions::from_headers(headers)?;
    let command = read_command(kind, &body)?;
    // The fingerprint is of the canonical body: its tree, read only when
    // the client sent a key.
    let idempotency = match &preconditions.idempotency_key {
        Some(_) => preconditions.idempotency(path, &body.value()?),
        None => None,
    };
    let request = CommandRequest {
        project_id,
        command,
        if_match: preconditions.if_match,
        idempotency,
        correlation_id: preconditions.correlation_id,
        causation_id: None,
    };
    let response = state.app.execute(caller, request).await?;
    Ok(command_response(response))
}

pub(super) fn command_response(response: CommandResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::OK);
    let mut http = (status, response.body).into_response();
    let headers = http.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(etag) = HeaderValue::from_str(&response.etag) {
        headers.insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED
        && let Ok(location) =
            HeaderValue::from_str(&format!("/api/v1/projects/{}", response.project_id))
    {
        headers.insert(header::LOCATION, location);
    }
    if response.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    http
}

/// Sign a project (`ProjectSigned`).
#[utoipa::path(post, path = "/api/v1/projects", tag = "commands",
    request_body(content = SignProject, content_type = "application/json"),
    responses((status = 201, description = "created; Location and ETag \"1\"", body = ProjectView, content_type = "application/json"),
              (status = 400, description = "malformed-json, unknown-field, duplicate-key, or an If-Match sent"),
              (status = 403, description = "forbidden: the role may not sign"),
              (status = 409, description = "duplicate-code"), (status = 422, description = "validation-failed")),
    security(("bearer" = [])))]
pub(super) async fn sign_project(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    if headers.contains_key(header::IF_MATCH) {
        return Err(Problem::bad_parameter(
            "If-Match",
            "a new project has no version to match; send no If-Match",
        ));
    }
    let id = Uuid::now_v7();
    run(
        &state,
        &caller,
        CommandKind::Sign,
        id,
        "/api/v1/projects",
        &headers,
        body,
    )
    .await
}

macro_rules! command_route {
    ($name:ident, $kind:expr, $path:literal, $event:literal, $body:ident) => {
        #[doc = concat!("Append `", $event, "` to a project.")]
        #[utoipa::path(post, path = $path, tag = "commands",
            params(("id" = String, Path, description = "project id"),
                   ("If-Match" = String, Header, description = "the ETag you last saw, e.g. \"3\""),
                   ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
            request_body(content = $body, content_type = "application/json"),
            responses((status = 200, description = "the new state, with its ETag", body = ProjectView, content_type = "application/json"),
                      (status = 403, description = "forbidden: the role may not send this command; four-eyes: the person whose work it judges may not also finalize, return or correct it"),
                      (status = 404, description = "not-found: no such project, or not the caller's"),
                      (status = 409, description = "invalid-transition"), (status = 412, description = "version-conflict"),
                      (status = 422, description = "validation-failed"), (status = 428, description = "precondition-required")),
            security(("bearer" = [])))]
        pub(super) async fn $name(
            State(state): State<ApiState>,
            Authenticated(caller): Authenticated,
            Path(id): Path<String>,
            headers: HeaderMap,
            body: JsonBody,
        ) -> ApiResult<Response> {
            let project_id = parse_id(&id)?;
            let path = $path.replace("{id}", &project_id.to_string());
            run(&state, &caller, $kind, project_id, &path, &headers, body).await
        }
    };
}

command_route!(
    extend_period,
    CommandKind::Extend,
    "/api/v1/projects/{id}/extensions",
    "PeriodExtended",
    ExtendPeriod
);
command_route!(
    record_midterm_evaluation,
    CommandKind::Midterm,
    "/api/v1/projects/{id}/midterm-evaluations",
    "MidtermEvaluated",
    RecordMidtermEvaluation
);
command_route!(
    submit_self_report,
    CommandKind::SubmitSelfReport,
    "/api/v1/projects/{id}/self-reports",
    "SelfReportSubmitted",
    SubmitSelfReport
);
command_route!(
    review_self_report,
    CommandKind::Review,
    "/api/v1/projects/{id}/reviews",
    "SelfReportReviewed",
    ReviewSelfReport
);
command_route!(
    record_site_visit,
    CommandKind::Visit,
    "/api/v1/projects/{id}/site-visits",
    "SiteVisited",
    RecordSiteVisit
);
command_route!(
    draft_evaluation,
    CommandKind::Draft,
    "/api/v1/projects/{id}/drafts",
    "EvaluationDrafted",
    DraftEvaluation
);
command_route!(
    finalize_evaluation,
    CommandKind::Finalize,
    "/api/v1/projects/{id}/finalization",
    "EvaluationFinalized",
    FinalizeEvaluation
);
command_route!(
    record_correction,
    CommandKind::Correct,
    "/api/v1/projects/{id}/corrections",
    "CorrectionRecorded",
    RecordCorrection
);
command_route!(
    release_tranche,
    CommandKind::ReleaseTranche,
    "/api/v1/projects/{id}/tranche-releases",
    "TrancheReleased",
    ReleaseTranche
);
command_route!(
    withdraw_attachment,
    CommandKind::WithdrawAttachment,
    "/api/v1/projects/{id}/attachment-withdrawals",
    "AttachmentWithdrawn",
    WithdrawAttachment
);
