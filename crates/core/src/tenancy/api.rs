//! JSON routes for logging in, the organization, its users and its API tokens.

use std::time::Duration;

use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{ApiToken, Caller, Organization, Permission, Role, User};
use super::service::{NewUser, OrganizationPatch, UserPatch};
use crate::auth::AccountThrottle;
use crate::error::{Error, ErrorBody, ErrorCode, ErrorObject, Result};
use crate::http::{created, ApiJson, ApiPath, AppState, SESSION_COOKIE};
use crate::ids::{TokenId, UserId};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(get_organization, update_organization))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(list_api_tokens, create_api_token))
        .routes(routes!(revoke_api_token))
        .merge(super::branding::api::router())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The organization's slug; needed only when the email has accounts in several.
    pub organization: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// A bearer token for this session; also set as the session cookie.
    pub token: String,
    /// Send as `X-CSRF-Token` on writes authenticated by the cookie.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    pub organization: Organization,
}

/// Builds the `Set-Cookie` header of a login session.
pub fn session_cookie(state: &AppState, token: &str, max_age_seconds: i64) -> String {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}")
}

/// The answer to a login refused by a limit: 429 `rate_limited`, a message that says when to
/// try again, and a `Retry-After` header (whole seconds, rounded up).
pub fn login_rate_limited(reason: &str, wait: Duration) -> Response {
    let seconds = retry_after_seconds(wait);
    let minutes = seconds.div_ceil(60);
    let when = if seconds < 60 {
        format!("{seconds} seconds")
    } else if minutes == 1 {
        "1 minute".to_string()
    } else {
        format!("{minutes} minutes")
    };
    metrics::counter!("fullhouse_errors_total", "code" => ErrorCode::RateLimited.as_str())
        .increment(1);
    let body = ErrorBody {
        error: ErrorObject {
            code: ErrorCode::RateLimited,
            message: format!("{reason}; try again in {when}"),
            details: serde_json::json!({ "retry_after_seconds": seconds }),
        },
    };
    (
        ErrorCode::RateLimited.status(),
        [(RETRY_AFTER, seconds.to_string())],
        Json(body),
    )
        .into_response()
}

/// Whole seconds until `wait` is over, at least one.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Log in with email and password: returns a session token and sets the session cookie.
///
/// Failed logins are limited per client address and per account (the email, across all
/// addresses): past the limit the answer is 429 with `Retry-After`. A wrong password, an unknown
/// email and a disabled account all get the same 401.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    security(()),
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, headers(("Retry-After" = u64, description = "seconds until the next attempt is allowed")))))]
async fn login(
    state: axum::extract::State<AppState>,
    throttle: Option<Extension<AccountThrottle>>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response> {
    let Some(Extension(throttle)) = throttle else {
        return Err(Error::internal("the login throttle is not installed"));
    };
    let attempt = match throttle.begin(&request.email) {
        Ok(attempt) => attempt,
        Err(wait) => {
            return Ok(login_rate_limited(
                "too many failed logins for this account",
                wait,
            ))
        }
    };
    let session = match state
        .tenancy()
        .login(
            &request.email,
            &request.password,
            request.organization.as_deref(),
        )
        .await
    {
        Ok(session) => {
            attempt.succeeded();
            session
        }
        Err(err @ Error::Unauthorized(_)) => {
            attempt.failed();
            return Err(err);
        }
        Err(err) => return Err(err),
    };
    let max_age = (session.expires_at - Utc::now()).num_seconds();
    let cookie = session_cookie(&state, &session.token, max_age);
    let body = LoginResponse {
        token: session.token,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
        user: session.user,
        organization: session.organization,
    };
    Ok(([(SET_COOKIE, cookie)], Json(body)).into_response())
}

/// End the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(
    state: axum::extract::State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> Result<Response> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .or_else(|| {
            axum_extra::extract::CookieJar::from_headers(&headers)
                .get(SESSION_COOKIE)
                .map(|c| c.value().to_string())
        });
    if let Some(token) = token {
        state.tenancy().logout(&token).await?;
    }
    let cookie = session_cookie(&state, "", 0);
    Ok((axum::http::StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub organization: Organization,
    pub user: Option<User>,
    pub role: Role,
}

/// Who the caller is: the organization, the user (absent for API tokens) and the role.
#[utoipa::path(get, path = "/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(state: axum::extract::State<AppState>, caller: Caller) -> Result<Json<Me>> {
    let tenancy = state.tenancy();
    let organization = tenancy.organization(&caller.org).await?;
    let user = match &caller.user {
        Some(id) => Some(tenancy.user(&caller.org, id).await?),
        None => None,
    };
    Ok(Json(Me {
        organization,
        user,
        role: caller.role,
    }))
}

/// The caller's organization.
#[utoipa::path(get, path = "/organization", tag = "organization",
    responses((status = 200, body = Organization), (status = 401, body = ErrorBody)))]
async fn get_organization(
    state: axum::extract::State<AppState>,
    caller: Caller,
) -> Result<Json<Organization>> {
    Ok(Json(state.tenancy().organization(&caller.org).await?))
}

/// Change the organization's name, default language, time zone or currency.
#[utoipa::path(patch, path = "/organization", tag = "organization", request_body = OrganizationPatch,
    responses((status = 200, body = Organization), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_organization(
    state: axum::extract::State<AppState>,
    caller: Caller,
    ApiJson(patch): ApiJson<OrganizationPatch>,
) -> Result<Json<Organization>> {
    caller.require(Permission::Administer)?;
    Ok(Json(
        state
            .tenancy()
            .update_organization(&caller.org, patch)
            .await?,
    ))
}

/// The organization's users.
#[utoipa::path(get, path = "/users", tag = "users",
    responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
async fn list_users(
    state: axum::extract::State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<User>>> {
    caller.require(Permission::Administer)?;
    Ok(Json(state.tenancy().list_users(&caller.org).await?))
}

/// Add a user with a password and a role.
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    state: axum::extract::State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<Response> {
    caller.require(Permission::Administer)?;
    if !caller.role.may_grant(new.role) {
        return Err(Error::Forbidden("your role may not grant this role"));
    }
    Ok(created(
        state.tenancy().create_user(&caller.org, new).await?,
    ))
}

/// One user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = UserId, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
async fn get_user(
    state: axum::extract::State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Json<User>> {
    if caller.user.as_ref() != Some(&id) {
        caller.require(Permission::Administer)?;
    }
    Ok(Json(state.tenancy().user(&caller.org, &id).await?))
}

/// Change a user's name, role, language or password, or disable them. Nobody changes a user of a
/// role above their own, and the last enabled owner stays an owner (409).
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = UserId, Path)), request_body = UserPatch,
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    state: axum::extract::State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<User>> {
    // The role rules (who may change whom) are checked in the service, in one place.
    Ok(Json(
        state.tenancy().update_user(&caller, &id, patch).await?,
    ))
}

/// Remove a user, end their sessions and revoke the API tokens they made. Nobody deletes a user
/// of a role above their own, and the last enabled owner cannot be deleted (409).
#[utoipa::path(delete, path = "/users/{id}", tag = "users", params(("id" = UserId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_user(
    state: axum::extract::State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<UserId>,
) -> Result<axum::http::StatusCode> {
    state.tenancy().delete_user(&caller, &id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The organization's active API tokens (never the secrets).
#[utoipa::path(get, path = "/api-tokens", tag = "api tokens",
    responses((status = 200, body = Vec<ApiToken>), (status = 403, body = ErrorBody)))]
async fn list_api_tokens(
    state: axum::extract::State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApiToken>>> {
    caller.require(Permission::Administer)?;
    Ok(Json(state.tenancy().list_api_tokens(&caller.org).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret: shown this once, stored only as a digest.
    pub secret: String,
}

/// Create an API token bound to this organization and a role. The secret is shown once.
#[utoipa::path(post, path = "/api-tokens", tag = "api tokens", request_body = NewApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_api_token(
    state: axum::extract::State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewApiToken>,
) -> Result<Response> {
    caller.require(Permission::Administer)?;
    let (token, secret) = state
        .tenancy()
        .create_api_token(&caller, &new.name, new.role)
        .await?;
    Ok(created(CreatedApiToken { token, secret }))
}

/// Revoke an API token; it stops working at once.
#[utoipa::path(delete, path = "/api-tokens/{id}", tag = "api tokens", params(("id" = TokenId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_api_token(
    state: axum::extract::State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<TokenId>,
) -> Result<axum::http::StatusCode> {
    caller.require(Permission::Administer)?;
    state.tenancy().revoke_api_token(&caller, &id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
