//! Token management, for admins only.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use granttrail_app::permissions::{Action, permits};
use granttrail_store::{Role, TokenRecord};
use http::StatusCode;
use serde::Deserialize;

use crate::ApiState;
use crate::bodies::IssuedTokenBody;
use crate::extract::{Authenticated, JsonBody, parse_id, read_body};
use crate::problem::{ApiResult, InvalidField, Problem};

/// Asked before the body is read, so that a caller who may not manage
/// tokens hears 403, not what is wrong with their body.
fn may_manage_tokens(caller: &granttrail_app::Caller) -> Result<(), Problem> {
    Ok(permits(caller, Action::ManageTokens)?)
}

/// A token to make.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewToken {
    name: String,
    role: String,
    #[serde(default)]
    org_id: Option<String>,
    /// RFC 3339; the token authenticates nobody from then on.
    #[serde(default)]
    expires_at: Option<String>,
    /// The user it belongs to (see `/api/v1/users`); without one, a new
    /// user named like the token is made for it.
    #[serde(default)]
    user: Option<String>,
}

/// Create a token; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    request_body(content = NewToken, content_type = "application/json"),
    responses((status = 201, description = "the token, with its secret shown this once", body = IssuedTokenBody, content_type = "application/json"),
              (status = 403, description = "forbidden: admins only"),
              (status = 422, description = "validation-failed")),
    security(("bearer" = [])))]
pub(super) async fn create_token(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    body: JsonBody,
) -> ApiResult<Response> {
    may_manage_tokens(&caller)?;
    let request: NewToken = read_body(&body.value()?)?;
    let role = Role::parse(&request.role).ok_or_else(|| {
        Problem::invalid(vec![InvalidField {
            pointer: "/role".into(),
            code: "invalid-value".into(),
            message: format!(
                "'{}' is not a role (admin, staff, auditor, executor)",
                request.role
            ),
        }])
    })?;
    let expires_at = request
        .expires_at
        .as_deref()
        .map(|text| {
            chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    Problem::invalid(vec![InvalidField {
                        pointer: "/expires_at".into(),
                        code: "invalid-value".into(),
                        message: format!("'{text}' is not an RFC 3339 instant"),
                    }])
                })
        })
        .transpose()?;
    let issued = state
        .app
        .create_token_for(
            &caller,
            request.user.as_deref(),
            &request.name,
            role,
            request.org_id.as_deref(),
            expires_at,
        )
        .await?;
    let body = IssuedTokenBody::new(&issued.record, issued.secret);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Every token (never the secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "every token, newest first; never a secret", body = Vec<TokenRecord>, content_type = "application/json"),
              (status = 403, description = "forbidden: admins only")),
    security(("bearer" = [])))]
pub(super) async fn list_tokens(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Response> {
    may_manage_tokens(&caller)?;
    Ok(Json(state.app.list_tokens(&caller).await?).into_response())
}

/// Revoke a token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "token id")),
    responses((status = 204, description = "revoked"),
              (status = 403, description = "forbidden: admins only"),
              (status = 404, description = "no such live token")),
    security(("bearer" = [])))]
pub(super) async fn revoke_token(
    State(state): State<ApiState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    may_manage_tokens(&caller)?;
    let id = parse_id(&id)?;
    state.app.revoke_token(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
