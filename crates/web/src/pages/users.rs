//! Settings → Users: the organization's people. An admin invites a person by email (name, role,
//! language): the person gets a mail with a one-time link that expires, and chooses their own
//! password on the invitation page — no admin ever sets or knows it. Changing a role is one
//! click; disabling and removing a user ask first, on a page of their own that says what will
//! happen (no script needed).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use fullhouse_core::http::AppState;
use fullhouse_core::tenancy::invitations::{self, NewInvitation, INVITATION_DAYS};
use fullhouse_core::tenancy::model::{Role, User};
use fullhouse_core::tenancy::service::UserPatch;
use fullhouse_core::{Error, UserId};
use serde::Deserialize;

use super::settings::{admin, role_choices};
use crate::i18n::{error_message, Lang};
use crate::layout::{with_status, FormErrors, PageError, Ui};
use crate::CsrfForm;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/users", get(users).post(invite))
        .route("/settings/users/{id}", post(change_user))
        .route("/settings/users/{id}/confirm", get(confirm))
        .route("/settings/users/{id}/remove", post(remove))
        .route("/invitation/{token}", get(invitation).post(accept))
}

// ------------------------------------------------------------------------------------------
// The list and the invitation form.

#[derive(Debug, Clone, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub language: String,
}

impl InviteForm {
    fn blank(lang: Lang) -> Self {
        Self {
            name: String::new(),
            email: String::new(),
            role: "viewer".into(),
            language: lang.code().into(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/users.html")]
struct UsersPage {
    ui: Ui,
    users: Vec<User>,
    /// Users whose invitation waits to be used.
    invited: Vec<UserId>,
    roles: Vec<Role>,
    languages: [Lang; 3],
    form: InviteForm,
    errors: FormErrors,
    /// A message about a change to one user (role, disabled).
    notice: Option<String>,
    /// What was just done ("Invitation sent to …").
    done: Option<String>,
}

impl UsersPage {
    fn is_me(&self, user: &User) -> bool {
        self.ui.caller.user.as_ref() == Some(&user.id)
    }

    fn may_change(&self, user: &User) -> bool {
        !self.is_me(user) && self.ui.caller.role.may_grant(user.role)
    }

    fn is_invited(&self, user: &User) -> bool {
        self.invited.contains(&user.id)
    }
}

struct Messages {
    notice: Option<String>,
    done: Option<String>,
}

async fn users_page(
    state: &AppState,
    ui: Ui,
    form: InviteForm,
    errors: FormErrors,
    messages: Messages,
) -> Result<UsersPage, PageError> {
    let users = state
        .tenancy()
        .list_users(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    let invited = invitations::pending(&state.db, &ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(UsersPage {
        roles: role_choices(&ui),
        languages: Lang::ALL,
        form,
        ui,
        users,
        invited,
        errors,
        notice: messages.notice,
        done: messages.done,
    })
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    /// `invited`, `removed` or `disabled`.
    #[serde(default)]
    done: String,
    #[serde(default)]
    email: String,
}

async fn users(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<DoneQuery>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let done = match query.done.as_str() {
        "invited" => Some(ui.lang.t1("users-invited-notice", "email", &query.email)),
        "removed" => Some(ui.lang.t1("users-removed-notice", "email", &query.email)),
        _ => None,
    };
    let form = InviteForm::blank(ui.lang);
    let messages = Messages { notice: None, done };
    let page = users_page(&state, ui, form, FormErrors::default(), messages).await?;
    Ok(page.into_response())
}

async fn invite(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<InviteForm>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let role = match Role::parse(&form.role) {
        Ok(role) if ui.caller.role.may_grant(role) => role,
        _ => {
            let errors = FormErrors::field_only(ui.lang, "role", "error-role");
            let messages = Messages {
                notice: None,
                done: None,
            };
            let page = users_page(&state, ui, form, errors.clone(), messages).await?;
            return Ok(with_status(&errors, page));
        }
    };
    let new = NewInvitation {
        email: form.email.clone(),
        name: form.name.clone(),
        role,
        language: form.language.clone(),
    };
    match invitations::invite(&state.db, &ui.caller, new, &state.settings.public_url).await {
        Ok(user) => {
            let email = url_encode(&user.email);
            Ok(
                Redirect::to(&format!("/settings/users?done=invited&email={email}"))
                    .into_response(),
            )
        }
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            let messages = Messages {
                notice: None,
                done: None,
            };
            let page = users_page(&state, ui, form, errors.clone(), messages).await?;
            Ok(with_status(&errors, page))
        }
        Err(err) => Err(ui.error(err)),
    }
}

fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Changing, disabling and removing a user.

#[derive(Debug, Deserialize)]
struct ChangeUserForm {
    /// `role`, `disable` or `enable`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: String,
}

async fn change_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<ChangeUserForm>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let id = UserId::parse(&id).map_err(|e| ui.error(e))?;
    if ui.caller.user.as_ref() == Some(&id) {
        return users_refused(&state, ui, StatusCode::CONFLICT, "users-not-yourself").await;
    }
    let patch = match form.action.as_str() {
        "role" => match Role::parse(&form.role) {
            Ok(role) => UserPatch {
                role: Some(role),
                ..UserPatch::default()
            },
            Err(_) => {
                return users_refused(&state, ui, StatusCode::UNPROCESSABLE_ENTITY, "error-role")
                    .await
            }
        },
        "disable" | "enable" => UserPatch {
            disabled: Some(form.action == "disable"),
            ..UserPatch::default()
        },
        _ => return Err(ui.error(Error::invalid("action", "use role, disable or enable"))),
    };
    match state.tenancy().update_user(&ui.caller, &id, patch).await {
        Ok(_) => Ok(Redirect::to("/settings/users").into_response()),
        Err(err) => change_refused(&state, ui, err).await,
    }
}

/// The users page again, with why a change to a user was refused; any other error's page.
async fn change_refused(state: &AppState, ui: Ui, err: Error) -> Result<Response, PageError> {
    match err {
        Error::Forbidden(_) => {
            users_refused(state, ui, StatusCode::FORBIDDEN, "error-role-not-allowed").await
        }
        Error::Conflict { .. } => {
            users_refused(state, ui, StatusCode::CONFLICT, "users-last-owner").await
        }
        err => Err(ui.error(err)),
    }
}

/// The users page again, with why a change to one user was refused.
async fn users_refused(
    state: &AppState,
    ui: Ui,
    status: StatusCode,
    key: &str,
) -> Result<Response, PageError> {
    let messages = Messages {
        notice: Some(ui.lang.t(key)),
        done: None,
    };
    let form = InviteForm::blank(ui.lang);
    let page = users_page(state, ui, form, FormErrors::default(), messages).await?;
    Ok((status, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/user_confirm.html")]
struct ConfirmPage {
    ui: Ui,
    user: User,
    /// `disable` or `remove`.
    action: String,
}

#[derive(Debug, Default, Deserialize)]
struct ConfirmQuery {
    #[serde(default)]
    action: String,
}

/// The step before disabling or removing a user: what will happen, and the button that does it.
async fn confirm(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<ConfirmQuery>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let id = UserId::parse(&id).map_err(|e| ui.error(e))?;
    let user = state
        .tenancy()
        .user(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let action = match query.action.as_str() {
        "disable" => "disable",
        "remove" => "remove",
        _ => {
            return Err(ui.error(Error::invalid("action", "use disable or remove")));
        }
    };
    Ok(ConfirmPage {
        ui,
        user,
        action: action.to_string(),
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct NoFields {}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let id = UserId::parse(&id).map_err(|e| ui.error(e))?;
    if ui.caller.user.as_ref() == Some(&id) {
        return users_refused(&state, ui, StatusCode::CONFLICT, "users-not-yourself").await;
    }
    let tenancy = state.tenancy();
    let user = tenancy
        .user(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    match tenancy.delete_user(&ui.caller, &id).await {
        Ok(()) => {
            let email = url_encode(&user.email);
            Ok(
                Redirect::to(&format!("/settings/users?done=removed&email={email}"))
                    .into_response(),
            )
        }
        Err(err) => change_refused(&state, ui, err).await,
    }
}

// ------------------------------------------------------------------------------------------
// The invitee's page: choose a password.

#[derive(Template, WebTemplate)]
#[template(path = "invitation.html")]
struct InvitationPage {
    lang: Lang,
    token: String,
    /// Whose invitation, while its link works.
    invitation: Option<invitations::OpenInvitation>,
    error: Option<String>,
    /// The password is set: the person logs in.
    done: bool,
    days: i64,
}

/// The link from the mail: the form to choose a password, or why the link no longer works.
/// Reading it changes nothing (mail scanners fetch links).
async fn invitation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let visitor = Lang::of_visitor(&headers);
    let open = invitations::open(&state.db, &token)
        .await
        .map_err(|e| PageError::new(visitor, e))?;
    let lang = open
        .as_ref()
        .and_then(|o| Lang::parse(&o.user.language))
        .unwrap_or(visitor);
    let status = if open.is_some() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    let page = InvitationPage {
        lang,
        token,
        invitation: open,
        error: None,
        done: false,
        days: INVITATION_DAYS,
    };
    Ok((status, page).into_response())
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// Sets the invitee's password: once, within the link's time. The token in the address is the
/// proof (as an unsubscribe link's is): no session exists yet to carry a CSRF token.
async fn accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let visitor = Lang::of_visitor(&headers);
    let open = invitations::open(&state.db, &token)
        .await
        .map_err(|e| PageError::new(visitor, e))?;
    let lang = open
        .as_ref()
        .and_then(|o| Lang::parse(&o.user.language))
        .unwrap_or(visitor);
    let page = |invitation, error, done| InvitationPage {
        lang,
        token: token.clone(),
        invitation,
        error,
        done,
        days: INVITATION_DAYS,
    };
    if open.is_none() {
        return Ok((StatusCode::GONE, page(None, None, false)).into_response());
    }
    if form.password != form.password_again {
        let error = Some(lang.t("invitation-passwords-differ"));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page(open, error, false)).into_response());
    }
    match invitations::accept(&state.db, &token, &form.password).await {
        Ok(Some(_)) => Ok(page(None, None, true).into_response()),
        Ok(None) => Ok((StatusCode::GONE, page(None, None, false)).into_response()),
        Err(err @ Error::Validation { .. }) => {
            let error = Some(error_message(lang, &err));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(open, error, false)).into_response())
        }
        Err(err) => Err(PageError::new(lang, err)),
    }
}
