//! User management, for admins only: the people behind tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use granttrail_app::permissions::{Action, permits};
use granttrail_store::UserRecord;
use http::StatusCode;
use serde::Deserialize;

use crate::ApiState;
use crate::extract::{Authenticated, JsonBody, read_body};
use crate::problem::{ApiResult, Problem};

/// Asked before the body is read, so that a caller who may not manage
/// users hears 403, not what is wrong with their body.
fn may_manage_users(caller: &granttrail_app::Caller) -> Result<(), Problem> {
    Ok(permits(caller, Action::ManageUsers)?)
}

/// A user to add.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewUser {
    /// Stable id: ASCII letters, digits, `_-.` (≤ 64); recorded as the
    /// actor id of everything the user does.
    id: String,
    /// Display name.
    name: String,
    /// The user's organisation, for an executing organisation's staff.
    #[serde(default)]
    org_id: Option<String>,
}

/// Add a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body(content = NewUser, content_type = "application/json"),
    responses((status = 201, description = "the user", body = UserRecord, content_type = "application/json"),
              (status = 400, description = "bad-parameter: an id or name that cannot be one"),
              (status = 403, description = "forbidden: admins only"),
              (status = 409, description = "user-exists"),
              (status = 422, description = "validation-failed")),
    security(("bearer" = [])))]
pub(super) async fn add_user(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    body: JsonBody,
) -> ApiResult<Response> {
    may_manage_users(&caller)?;
    let request: NewUser = read_body(&body.value()?)?;
    let user = state
        .app
        .add_user(
            &caller,
            &request.id,
            &request.name,
            request.org_id.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

/// Every user, oldest first.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, description = "every user, oldest first", body = Vec<UserRecord>, content_type = "application/json"),
              (status = 403, description = "forbidden: admins only")),
    security(("bearer" = [])))]
pub(super) async fn list_users(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Response> {
    may_manage_users(&caller)?;
    Ok(Json(state.app.list_users(&caller).await?).into_response())
}

/// Disable a user: their tokens and sessions stop authenticating.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users",
    params(("id" = String, Path, description = "user id")),
    responses((status = 204, description = "disabled"),
              (status = 403, description = "forbidden: admins only"),
              (status = 404, description = "no such enabled user")),
    security(("bearer" = [])))]
pub(super) async fn disable_user(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    may_manage_users(&caller)?;
    state.app.disable_user(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
