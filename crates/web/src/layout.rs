//! What every page behind the login shares: who is looking ([`Ui`]), the navigation, errors
//! rendered in the user's language, form errors next to their fields, and dates in the
//! organization's time zone.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fullhouse_core::http::AppState;
use fullhouse_core::tenancy::model::Credential;
use fullhouse_core::{Caller, Error, Permission};

pub use crate::form::vary_on_htmx;
use crate::i18n::{error_message, field_reason, Lang, Val};
use fullhouse_core::module::{NavLink, NavSection};
use std::sync::Arc;

/// The logged-in person looking at a page: their organization, name, language and the CSRF
/// token their forms carry. Extracting it redirects visitors without a session to the login.
#[derive(Debug, Clone)]
pub struct Ui {
    pub caller: Caller,
    pub lang: Lang,
    pub csrf_token: String,
    pub org_name: String,
    pub user_name: String,
    pub timezone: Tz,
    /// The path of the page, to mark the current navigation entry.
    pub path: String,
    /// Set when htmx asks for a part of a page rather than the whole.
    pub htmx: bool,
    /// Every module's navigation entries, as the server installed them.
    navigation: Navigation,
}

/// The navigation entries of every module of this server, installed by the server as a
/// request extension (see [`Navigation::new`]).
#[derive(Debug, Clone, Default)]
pub struct Navigation(Arc<[NavLink]>);

impl Navigation {
    pub fn new(mut links: Vec<NavLink>) -> Self {
        links.sort_by_key(|l| (l.section, l.order));
        Self(links.into())
    }
}

/// What a page answers when nobody is logged in: the login form (for htmx requests, a header
/// that makes htmx load it as a whole page).
pub struct LoginRequired {
    htmx: bool,
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        if self.htmx {
            let mut headers = HeaderMap::new();
            headers.insert("hx-redirect", HeaderValue::from_static("/login"));
            (StatusCode::UNAUTHORIZED, headers).into_response()
        } else {
            Redirect::to("/login").into_response()
        }
    }
}

impl FromRequestParts<AppState> for Ui {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // htmx restoring a page from history after a cache miss needs the whole page.
        let htmx = parts.headers.contains_key("hx-request")
            && !parts.headers.contains_key("hx-history-restore-request");
        let caller =
            <Caller as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .map_err(|err| {
                    PageError::new(Lang::of_visitor(&parts.headers), err).into_response()
                })?
                .ok_or_else(|| LoginRequired { htmx }.into_response())?;
        let lang = Lang::from_stored(&caller.language);
        let tenancy = state.tenancy();
        let organization = tenancy
            .organization(&caller.org)
            .await
            .map_err(|err| PageError::new(lang, err).into_response())?;
        let user_name = match &caller.user {
            Some(id) => {
                tenancy
                    .user(&caller.org, id)
                    .await
                    .map_err(|err| PageError::new(lang, err).into_response())?
                    .name
            }
            None => crate::i18n::t(lang, "user-api-token"),
        };
        let csrf_token = match &caller.credential {
            Credential::Session { csrf_token, .. } => csrf_token.clone(),
            Credential::ApiToken(_) => String::new(),
        };
        Ok(Ui {
            lang,
            csrf_token,
            org_name: organization.name,
            user_name,
            timezone: organization.timezone.parse().unwrap_or(Tz::UTC),
            path: parts.uri.path().to_string(),
            htmx,
            navigation: parts
                .extensions
                .get::<Navigation>()
                .cloned()
                .unwrap_or_default(),
            caller,
        })
    }
}

impl Ui {
    /// Forms of a login session must send back the session's CSRF token: another site can make
    /// a browser post a form, but cannot read the token. API tokens are not sent by browsers
    /// on their own, so they need none.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        match &self.caller.credential {
            Credential::Session { csrf_token, .. } if csrf_token != sent => {
                Err(self.error(Error::CsrfFailed))
            }
            _ => Ok(()),
        }
    }

    /// Fails with a page in the user's language unless their role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), PageError> {
        self.caller.require(permission).map_err(|e| self.error(e))
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.caller.role.allows(permission)
    }

    pub fn error(&self, error: Error) -> PageError {
        PageError {
            lang: self.lang,
            error,
            ui: Some(Box::new(self.clone())),
        }
    }

    /// A time in the organization's time zone, e.g. `2026-05-01 19:30`.
    pub fn datetime(&self, at: impl Val<DateTime<Utc>>) -> String {
        at.val()
            .with_timezone(&self.timezone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// As [`Ui::datetime`], for optional times (empty when absent).
    pub fn maybe_datetime(&self, at: impl Val<Option<DateTime<Utc>>>) -> String {
        at.val().map(|a| self.datetime(a)).unwrap_or_default()
    }

    /// The language picker's buttons.
    pub fn language_choices(&self) -> Vec<LanguageChoice> {
        LanguageChoice::all(self.lang)
    }

    /// The navigation, with the current entry marked and what the role may not use left out.
    /// Modules that are planned but not built show as "coming" until a module brings the
    /// entry.
    pub fn nav(&self) -> Vec<NavGroup> {
        let links = self
            .navigation
            .0
            .iter()
            .filter(|l| l.permission.is_none_or(|p| self.may(p)));
        let coming = COMING
            .iter()
            .filter(|c| !self.navigation.0.iter().any(|l| l.label_key == c.label_key));
        NavSection::ALL
            .into_iter()
            .map(|section| {
                let mut items: Vec<(i32, NavEntry)> = links
                    .clone()
                    .filter(|l| l.section == section)
                    .map(|l| {
                        (
                            l.order,
                            NavEntry {
                                label: self.lang.t(l.label_key),
                                current: self.path == l.href
                                    || self.path.starts_with(&format!("{}/", l.href)),
                                href: Some(l.href),
                            },
                        )
                    })
                    .collect();
                items.extend(coming.clone().filter(|c| c.section == section).map(|c| {
                    (
                        c.order,
                        NavEntry {
                            label: self.lang.t(c.label_key),
                            current: false,
                            href: None,
                        },
                    )
                }));
                items.sort_by_key(|(order, _)| *order);
                NavGroup {
                    title: self.lang.t(section.title_key()),
                    items: items.into_iter().map(|(_, entry)| entry).collect(),
                }
            })
            .filter(|section| !section.items.is_empty())
            .collect()
    }
}

/// Modules the product plans but this binary does not have yet: shown in the navigation,
/// labelled as coming, not links. An entry disappears when a module brings a link with the
/// same label.
const COMING: &[NavLink] = &[
    NavLink::new(NavSection::Promote, 30, "nav-referrals", ""),
    NavLink::new(NavSection::Sales, 20, "nav-intents", ""),
];

/// One button of the language picker.
pub struct LanguageChoice {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

impl LanguageChoice {
    pub fn all(current: Lang) -> Vec<LanguageChoice> {
        Lang::ALL
            .into_iter()
            .map(|lang| LanguageChoice {
                code: lang.code(),
                name: lang.native_name(),
                current: lang == current,
            })
            .collect()
    }
}

/// A section of the navigation, as the layout shows it.
pub struct NavGroup {
    pub title: String,
    pub items: Vec<NavEntry>,
}

pub struct NavEntry {
    pub label: String,
    pub href: Option<&'static str>,
    pub current: bool,
}

/// A page that could not be shown: rendered in the user's language with the status of the
/// error (404 for another organization's id, 403 for a role that may not, 422 for bad input),
/// inside the application's layout when someone is logged in.
#[derive(Debug)]
pub struct PageError {
    lang: Lang,
    error: Error,
    ui: Option<Box<Ui>>,
}

impl PageError {
    pub fn new(lang: Lang, error: Error) -> Self {
        Self {
            lang,
            error,
            ui: None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    lang: Lang,
    title: String,
    message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/error_in_layout.html")]
struct ErrorInLayout {
    ui: Ui,
    title: String,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let lang = self.lang;
        if self.error.code().status().is_server_error() {
            tracing::error!(error = ?self.error, "page failed");
        }
        // A malformed id in an address is, to a person, a page that does not exist.
        let (status, title, message) = match &self.error {
            Error::NotFound(_) | Error::InvalidId { .. } => (
                StatusCode::NOT_FOUND,
                lang.t("error-not-found-title"),
                lang.t("error-not-found"),
            ),
            Error::Forbidden(_) => (
                StatusCode::FORBIDDEN,
                lang.t("error-forbidden-title"),
                error_message(lang, &self.error),
            ),
            other => (
                other.code().status(),
                lang.t("error-title"),
                error_message(lang, other),
            ),
        };
        match self.ui {
            Some(ui) => (
                status,
                ErrorInLayout {
                    ui: *ui,
                    title,
                    message,
                },
            )
                .into_response(),
            None => (
                status,
                ErrorPage {
                    lang,
                    title,
                    message,
                },
            )
                .into_response(),
        }
    }
}

/// The errors of a submitted form: one per field, shown beside it, and a message for the form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    pub message: Option<String>,
    fields: Vec<(String, String)>,
}

impl FormErrors {
    /// Splits a service error into field errors (translated) and a message for the form.
    pub fn from_error(lang: Lang, error: &Error) -> Self {
        let mut fields = Vec::new();
        match error {
            Error::Validation { fields: bad, .. } => {
                for field in bad {
                    fields.push((field.field.clone(), field_reason(lang, field)));
                }
            }
            Error::Conflict {
                field: Some(field), ..
            } => fields.push((field.clone(), lang.t("error-taken"))),
            _ => {}
        }
        let message = if fields.is_empty() {
            error_message(lang, error)
        } else {
            lang.t("error-form")
        };
        Self {
            message: Some(message),
            fields,
        }
    }

    /// One field's problem, for a form whose own checks found it.
    pub fn field_only(lang: Lang, field: &str, reason_key: &str) -> Self {
        Self {
            message: Some(lang.t("error-form")),
            fields: vec![(field.to_string(), lang.t(reason_key))],
        }
    }

    /// Problems a page found itself, already in the user's language: `(field, reason)` each.
    pub fn fields(lang: Lang, fields: Vec<(String, String)>) -> Self {
        Self {
            message: Some(lang.t("error-form")),
            fields,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.message.is_none() && self.fields.is_empty()
    }

    /// The problem with `name`; service fields such as `transport.host` match the form's `host`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name || field.rsplit('.').next() == Some(name))
            .map(|(_, reason)| reason.as_str())
    }

    /// `aria-invalid` for a field: `true`, or empty (not `false`, which styles a field as
    /// checked and valid before anything was checked).
    pub fn invalid(&self, name: &str) -> &'static str {
        if self.field(name).is_some() {
            "true"
        } else {
            ""
        }
    }
}

/// A form page answers 422 when its input was refused, so scripts and tests can tell.
pub fn with_status(errors: &FormErrors, page: impl IntoResponse) -> Response {
    if errors.is_empty() {
        page.into_response()
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    }
}

/// Human durations: `850 ms`, `12 s`, `3 min 20 s`, `2 h 5 min`.
pub fn duration(d: chrono::Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    let s = ms / 1000;
    match s {
        0 => format!("{ms} ms"),
        1..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// The `?cursor=` link to the next page, keeping the other query parameters.
pub fn next_link(path: &str, params: &[(&str, &str)], cursor: &str) -> String {
    let mut query = url_encode_pairs(
        params
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .as_slice(),
    );
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&url_encode_pairs(&[("cursor", cursor)]));
    format!("{path}?{query}")
}

fn url_encode_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_keep_the_filters_and_encode_them() {
        assert_eq!(
            next_link("/customers", &[("q", "Søren A"), ("tag", "")], "cus_1"),
            "/customers?q=S%C3%B8ren%20A&cursor=cus_1"
        );
    }

    #[test]
    fn durations_read_like_people_say_them() {
        assert_eq!(duration(chrono::Duration::milliseconds(850)), "850 ms");
        assert_eq!(duration(chrono::Duration::seconds(200)), "3 min 20 s");
        assert_eq!(duration(chrono::Duration::seconds(7500)), "2 h 5 min");
    }

    #[test]
    fn service_field_names_match_form_fields() {
        let errors = FormErrors::from_error(Lang::Da, &Error::required("transport.host"));
        assert_eq!(
            errors.field("host"),
            Some(Lang::Da.t("error-required").as_str())
        );
        assert_eq!(errors.invalid("port"), "");
    }
}
