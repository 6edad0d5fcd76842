//! Logging in and out, the start page, the language picker, and the public unsubscribe page.
//!
//! Login is protected against CSRF with a double-submit token (a cookie and a hidden field that
//! must match); pages behind the login carry the session's own CSRF token in their forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use axum_extra::extract::CookieJar;
use fullhouse_core::auth::AccountThrottle;
use fullhouse_core::http::{AppState, SESSION_COOKIE};
use fullhouse_core::mail::Consents;
use fullhouse_core::tenancy::api::{retry_after_seconds, session_cookie};
use fullhouse_core::tenancy::model::Credential;
use fullhouse_core::tenancy::service::UserPatch;
use fullhouse_core::{Caller, Error};
use serde::Deserialize;

use crate::i18n::{Lang, LANGUAGE_COOKIE};
use crate::layout::{LanguageChoice, PageError};

const LOGIN_CSRF_COOKIE: &str = "fullhouse_login_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/language", post(choose_language))
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe_form).post(unsubscribe),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    languages: Vec<LanguageChoice>,
    csrf_token: String,
    error: Option<String>,
    email: String,
    organization: String,
}

fn login_page(lang: Lang, error: Option<String>, email: String, organization: String) -> Response {
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    login_page_with_status(status, lang, error, email, organization)
}

fn login_page_with_status(
    status: StatusCode,
    lang: Lang,
    error: Option<String>,
    email: String,
    organization: String,
) -> Response {
    let csrf_token = fullhouse_core::auth::new_token("");
    let cookie = format!(
        "{LOGIN_CSRF_COOKIE}={csrf_token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"
    );
    let page = LoginPage {
        lang,
        languages: LanguageChoice::all(lang),
        csrf_token,
        error,
        email,
        organization,
    };
    (status, [(SET_COOKIE, cookie)], page).into_response()
}

async fn login_form(headers: HeaderMap) -> Response {
    login_page(
        Lang::of_visitor(&headers),
        None,
        String::new(),
        String::new(),
    )
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

/// The login form. Failed logins count against the account like the API's do (the same
/// throttle), and a disabled account is refused with the same words as a wrong password.
async fn login(
    State(state): State<AppState>,
    throttle: Option<Extension<AccountThrottle>>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    if expected.is_none() || expected.as_deref() != Some(form.csrf_token.as_str()) {
        return login_page(
            lang,
            Some(lang.t("login-expired")),
            form.email,
            form.organization,
        );
    }
    let Some(Extension(throttle)) = throttle else {
        let err = Error::internal("the login throttle is not installed");
        return PageError::new(lang, err).into_response();
    };
    let attempt = match throttle.begin(&form.email) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let seconds = retry_after_seconds(wait);
            let message = lang.t1("login-rate-limited", "minutes", seconds.div_ceil(60));
            let mut page = login_page_with_status(
                StatusCode::TOO_MANY_REQUESTS,
                lang,
                Some(message),
                form.email,
                form.organization,
            );
            page.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
            return page;
        }
    };
    let organization = Some(form.organization.as_str()).filter(|s| !s.trim().is_empty());
    match state
        .tenancy()
        .login(&form.email, &form.password, organization)
        .await
    {
        Ok(session) => {
            attempt.succeeded();
            let max_age = (session.expires_at - chrono::Utc::now()).num_seconds();
            let cookie = session_cookie(&state, &session.token, max_age);
            let mut headers = HeaderMap::new();
            if let Ok(value) = cookie.parse() {
                headers.insert(SET_COOKIE, value);
            }
            (headers, Redirect::to("/")).into_response()
        }
        Err(Error::Unauthorized(_)) => {
            attempt.failed();
            login_page(
                lang,
                Some(lang.t("login-failed")),
                form.email,
                form.organization,
            )
        }
        Err(Error::Validation { .. }) => login_page(
            lang,
            Some(lang.t("login-choose-organization")),
            form.email,
            form.organization,
        ),
        Err(err) => PageError::new(lang, err).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    caller: Option<Caller>,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let (Some(caller), Some(cookie)) = (caller, jar.get(SESSION_COOKIE)) {
        if let Credential::Session { csrf_token, .. } = &caller.credential {
            if *csrf_token != form.csrf_token {
                let lang = Lang::from_stored(&caller.language);
                return PageError::new(lang, Error::CsrfFailed).into_response();
            }
        }
        if let Err(err) = state.tenancy().logout(cookie.value()).await {
            return PageError::new(Lang::of_visitor(&headers), err).into_response();
        }
    }
    (
        [(SET_COOKIE, session_cookie(&state, "", 0))],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct LanguageForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    return_to: String,
}

/// The language picker. A logged-in user's choice is saved as their preference; a visitor's
/// is kept in a cookie (which also keeps the login page in that language after logging out).
async fn choose_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Form(form): Form<LanguageForm>,
) -> Response {
    let current = caller
        .as_ref()
        .map(|c| Lang::from_stored(&c.language))
        .unwrap_or_else(|| Lang::of_visitor(&headers));
    let Some(chosen) = Lang::parse(&form.language) else {
        return PageError::new(current, Error::invalid("language", "use en, da or fr"))
            .into_response();
    };
    if let Some(caller) = &caller {
        if let Credential::Session { csrf_token, .. } = &caller.credential {
            if *csrf_token != form.csrf_token {
                return PageError::new(current, Error::CsrfFailed).into_response();
            }
        }
        if let Some(user) = &caller.user {
            let patch = UserPatch {
                language: Some(chosen.code().to_string()),
                ..UserPatch::default()
            };
            if let Err(err) = state.tenancy().update_user(caller, user, patch).await {
                return PageError::new(current, err).into_response();
            }
        }
    }
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LANGUAGE_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000{secure}",
        chosen.code()
    );
    (
        [(SET_COOKIE, cookie)],
        Redirect::to(local_path(&form.return_to)),
    )
        .into_response()
}

/// Only a path on this site: an absolute or protocol-relative URL would make the picker an
/// open redirect. Browsers drop tabs and newlines from URLs and read `\` as `/`, so
/// `/<TAB>/evil.example/` is `//evil.example/` to them: a target must start with one `/` that no
/// `/` or `\` follows, and hold no control character, whitespace or backslash anywhere (a
/// newline would also break the `Location` header). Anything else returns to `/`.
pub(crate) fn local_path(value: &str) -> &str {
    let mut rest = value.chars();
    let ok = rest.next() == Some('/')
        && !matches!(rest.next(), Some('/' | '\\'))
        && !value
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if ok {
        value
    } else {
        "/"
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    lang: Lang,
    token: String,
    done: bool,
}

/// The page behind the unsubscribe link: one button, so a link preview or a mail scanner that
/// fetches the link (GET) does not unsubscribe anybody by accident.
async fn unsubscribe_form(headers: HeaderMap, Path(token): Path<String>) -> Response {
    UnsubscribePage {
        lang: Lang::of_visitor(&headers),
        token,
        done: false,
    }
    .into_response()
}

/// One-click unsubscribe (RFC 8058): the mail client POSTs `List-Unsubscribe=One-Click`, or the
/// person presses the button. The answer is the same whether or not the token exists.
async fn unsubscribe(
    State(state): State<AppState>,
    Extension(consents): Extension<Consents>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    match fullhouse_core::mail::MailService::new(state.db.clone())
        .unsubscribe(&token, consents.as_ref())
        .await
    {
        Ok(_) => UnsubscribePage {
            lang: Lang::of_visitor(&headers),
            token,
            done: true,
        }
        .into_response(),
        Err(err) => err.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn the_language_picker_only_returns_to_this_site() {
        assert_eq!(local_path("/customers?q=a"), "/customers?q=a");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path("/"), "/");
        assert_eq!(local_path("/\t/evil.example/"), "/");
        assert_eq!(local_path("/\n/evil.example/"), "/");
        assert_eq!(local_path("/ /evil.example/"), "/");
        assert_eq!(local_path("\t//evil.example/"), "/");
        assert_eq!(local_path("/customers\u{2028}"), "/");
        assert_eq!(local_path(""), "/");
    }
}
