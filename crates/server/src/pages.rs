//! The organizer's web pages (askama templates compiled into the binary): login, logout, the
//! start page, and the stylesheet.
//!
//! Login is protected against CSRF with a double-submit token (a cookie and a hidden field that
//! must match); pages behind the login carry the session's own CSRF token in their forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use fullhouse_core::http::{AppState, SESSION_COOKIE};
use fullhouse_core::tenancy::api::session_cookie;
use fullhouse_core::tenancy::model::Credential;
use fullhouse_core::{Caller, Error};
use serde::Deserialize;

const LOGIN_CSRF_COOKIE: &str = "fullhouse_login_csrf";
const STYLESHEET: &str = include_str!("../static/app.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/static/app.css", get(stylesheet))
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe_form).post(unsubscribe),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    lang: &'static str,
    csrf_token: String,
    error: Option<String>,
    email: String,
    organization: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    lang: String,
    organization: String,
    user_name: String,
    csrf_token: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    lang: &'static str,
}

pub fn not_found_page() -> Response {
    (StatusCode::NOT_FOUND, NotFoundPage { lang: "en" }).into_response()
}

async fn stylesheet() -> Response {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLESHEET).into_response()
}

async fn home(State(state): State<AppState>, caller: Option<Caller>) -> Result<Response, Error> {
    let Some(caller) = caller else {
        return Ok(Redirect::to("/login").into_response());
    };
    let tenancy = state.tenancy();
    let organization = tenancy.organization(&caller.org).await?;
    let user_name = match &caller.user {
        Some(id) => tenancy.user(&caller.org, id).await?.name,
        None => "API token".to_string(),
    };
    let csrf_token = match caller.credential {
        Credential::Session { csrf_token, .. } => csrf_token,
        Credential::ApiToken(_) => String::new(),
    };
    Ok(HomePage {
        lang: caller.language,
        organization: organization.name,
        user_name,
        csrf_token,
    }
    .into_response())
}

fn login_page(error: Option<String>, email: String, organization: String) -> Response {
    let csrf_token = fullhouse_core::auth::new_token("");
    let cookie = format!(
        "{LOGIN_CSRF_COOKIE}={csrf_token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"
    );
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let page = LoginPage {
        lang: "en",
        csrf_token,
        error,
        email,
        organization,
    };
    (status, [(SET_COOKIE, cookie)], page).into_response()
}

async fn login_form() -> Response {
    login_page(None, String::new(), String::new())
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    organization: String,
}

async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    if expected.is_none() || expected.as_deref() != Some(form.csrf_token.as_str()) {
        return login_page(
            Some("Your login form expired. Please try again.".into()),
            form.email,
            form.organization,
        );
    }
    let organization = Some(form.organization.as_str()).filter(|s| !s.trim().is_empty());
    match state
        .tenancy()
        .login(&form.email, &form.password, organization)
        .await
    {
        Ok(session) => {
            let max_age = (session.expires_at - chrono::Utc::now()).num_seconds();
            let cookie = session_cookie(&state, &session.token, max_age);
            let mut headers = HeaderMap::new();
            if let Ok(value) = cookie.parse() {
                headers.insert(SET_COOKIE, value);
            }
            (headers, Redirect::to("/")).into_response()
        }
        Err(err @ (Error::Unauthorized(_) | Error::Validation { .. })) => {
            login_page(Some(err.public_message()), form.email, form.organization)
        }
        Err(err) => err.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    caller: Option<Caller>,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let (Some(caller), Some(cookie)) = (caller, jar.get(SESSION_COOKIE)) {
        if let Credential::Session { csrf_token, .. } = &caller.credential {
            if *csrf_token != form.csrf_token {
                return Error::CsrfFailed.into_response();
            }
        }
        if let Err(err) = state.tenancy().logout(cookie.value()).await {
            return err.into_response();
        }
    }
    (
        [(SET_COOKIE, session_cookie(&state, "", 0))],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    lang: &'static str,
    token: String,
    done: bool,
}

/// The page behind the unsubscribe link: one button, so a link preview or a mail scanner that
/// fetches the link (GET) does not unsubscribe anybody by accident.
async fn unsubscribe_form(axum::extract::Path(token): axum::extract::Path<String>) -> Response {
    UnsubscribePage {
        lang: "en",
        token,
        done: false,
    }
    .into_response()
}

/// One-click unsubscribe (RFC 8058): the mail client POSTs `List-Unsubscribe=One-Click`, or the
/// person presses the button. The answer is the same whether or not the token exists.
async fn unsubscribe(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Response {
    let consents = crate::jobs::consents(&state);
    match fullhouse_core::mail::MailService::new(state.db.clone())
        .unsubscribe(&token, consents.as_ref())
        .await
    {
        Ok(_) => UnsubscribePage {
            lang: "en",
            token,
            done: true,
        }
        .into_response(),
        Err(err) => err.into_response(),
    }
}
