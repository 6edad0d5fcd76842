//! Settings: the organization (name, language, time zone, currency), users (add, change role,
//! disable), API tokens (create — the secret is shown once —, revoke) and email (sender and
//! transport, with a connection test). All of it needs the administer permission.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono_tz::Tz;
use fullhouse_core::http::AppState;
use fullhouse_core::mail::delivery::check_transport;
use fullhouse_core::mail::{MailService, MailSettings, SmtpSecurity, Transport};
use fullhouse_core::tenancy::model::{ApiToken, Organization, Role, User};
use fullhouse_core::tenancy::service::{NewUser, OrganizationPatch, UserPatch};
use fullhouse_core::{Error, Permission, TokenId, UserId};
use serde::Deserialize;

use crate::CsrfForm;

use crate::i18n::{error_message, Lang};
use crate::layout::{with_status, FormErrors, PageError, Ui};

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route(
            "/settings",
            get(|| async { Redirect::to("/settings/templates") }),
        )
        .route(
            "/settings/organization",
            get(organization).post(save_organization),
        )
        .route("/settings/users", get(users).post(add_user))
        .route("/settings/users/{id}", post(change_user))
        .route("/settings/api-tokens", get(tokens).post(create_token))
        .route("/settings/api-tokens/{id}/revoke", post(revoke_token))
        .route("/settings/email", get(email).post(save_email))
        .route("/settings/email/test", post(test_email))
}

/// Time zones people pick most often here; any IANA name is accepted.
const COMMON_TIMEZONES: [&str; 8] = [
    "Europe/Copenhagen",
    "Europe/Paris",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Stockholm",
    "Europe/Oslo",
    "America/New_York",
    "UTC",
];

fn role_choices(ui: &Ui) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| ui.caller.role.may_grant(*r))
        .collect()
}

/// Settings pages only open for those who may administer.
fn admin(ui: &Ui) -> Result<(), PageError> {
    ui.require(Permission::Administer)
}

// ------------------------------------------------------------------------------------------
// Organization.

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrganizationForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub default_language: String,
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub currency: String,
}

impl OrganizationForm {
    fn of(org: Organization) -> Self {
        Self {
            name: org.name,
            default_language: org.default_language,
            timezone: org.timezone,
            currency: org.currency,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/organization.html")]
struct OrganizationPage {
    ui: Ui,
    slug: String,
    form: OrganizationForm,
    errors: FormErrors,
    saved: bool,
    timezones: &'static [&'static str],
    languages: [Lang; 3],
}

#[derive(Debug, Deserialize)]
struct SavedQuery {
    #[serde(default)]
    saved: String,
}

async fn organization(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<SavedQuery>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let org = state
        .tenancy()
        .organization(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(OrganizationPage {
        slug: org.slug.clone(),
        form: OrganizationForm::of(org),
        ui,
        errors: FormErrors::default(),
        saved: !query.saved.is_empty(),
        timezones: &COMMON_TIMEZONES,
        languages: Lang::ALL,
    }
    .into_response())
}

async fn save_organization(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<OrganizationForm>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let tenancy = state.tenancy();
    let slug = tenancy
        .organization(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?
        .slug;
    let errors = if form.timezone.trim().parse::<Tz>().is_err() {
        FormErrors::field_only(ui.lang, "timezone", "error-timezone")
    } else {
        let patch = OrganizationPatch {
            name: Some(form.name.clone()),
            default_language: Some(form.default_language.clone()),
            timezone: Some(form.timezone.trim().to_string()),
            currency: Some(form.currency.clone()),
        };
        match tenancy.update_organization(&ui.caller.org, patch).await {
            Ok(_) => return Ok(Redirect::to("/settings/organization?saved=1").into_response()),
            Err(err @ Error::Validation { .. }) => FormErrors::from_error(ui.lang, &err),
            Err(err) => return Err(ui.error(err)),
        }
    };
    let page = OrganizationPage {
        ui,
        slug,
        form,
        errors: errors.clone(),
        saved: false,
        timezones: &COMMON_TIMEZONES,
        languages: Lang::ALL,
    };
    Ok(with_status(&errors, page))
}

// ------------------------------------------------------------------------------------------
// Users.

#[derive(Debug, Clone, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub language: String,
}

impl Default for NewUserForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            email: String::new(),
            password: String::new(),
            role: "viewer".into(),
            language: "en".into(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/users.html")]
struct UsersPage {
    ui: Ui,
    users: Vec<User>,
    roles: Vec<Role>,
    languages: [Lang; 3],
    form: NewUserForm,
    errors: FormErrors,
    /// A message about a change to one user (role, disabled).
    notice: Option<String>,
}

impl UsersPage {
    fn is_me(&self, user: &User) -> bool {
        self.ui.caller.user.as_ref() == Some(&user.id)
    }

    fn may_change(&self, user: &User) -> bool {
        !self.is_me(user) && self.ui.caller.role.may_grant(user.role)
    }
}

async fn users_page(
    state: &AppState,
    ui: Ui,
    form: NewUserForm,
    errors: FormErrors,
    notice: Option<String>,
) -> Result<UsersPage, PageError> {
    let users = state
        .tenancy()
        .list_users(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(UsersPage {
        roles: role_choices(&ui),
        languages: Lang::ALL,
        ui,
        users,
        form,
        errors,
        notice,
    })
}

async fn users(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    admin(&ui)?;
    let page = users_page(
        &state,
        ui,
        NewUserForm::default(),
        FormErrors::default(),
        None,
    )
    .await?;
    Ok(page.into_response())
}

async fn add_user(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<NewUserForm>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let role = match Role::parse(&form.role) {
        Ok(role) if ui.caller.role.may_grant(role) => role,
        _ => {
            let errors = FormErrors::field_only(ui.lang, "role", "error-role");
            let page = users_page(&state, ui, form, errors.clone(), None).await?;
            return Ok(with_status(&errors, page));
        }
    };
    let new = NewUser {
        email: form.email.clone(),
        name: form.name.clone(),
        password: form.password.clone(),
        role,
        language: form.language.clone(),
    };
    match state.tenancy().create_user(&ui.caller.org, new).await {
        Ok(_) => Ok(Redirect::to("/settings/users").into_response()),
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            let form = NewUserForm {
                password: String::new(),
                ..form
            };
            let page = users_page(&state, ui, form, errors.clone(), None).await?;
            Ok(with_status(&errors, page))
        }
        Err(err) => Err(ui.error(err)),
    }
}

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
        Err(Error::Forbidden(_)) => {
            users_refused(&state, ui, StatusCode::FORBIDDEN, "error-role-not-allowed").await
        }
        Err(Error::Conflict { .. }) => {
            users_refused(&state, ui, StatusCode::CONFLICT, "users-last-owner").await
        }
        Err(err) => Err(ui.error(err)),
    }
}

/// The users page again, with why a change to one user was refused.
async fn users_refused(
    state: &AppState,
    ui: Ui,
    status: StatusCode,
    key: &str,
) -> Result<Response, PageError> {
    let notice = Some(ui.lang.t(key));
    let page = users_page(
        state,
        ui,
        NewUserForm::default(),
        FormErrors::default(),
        notice,
    )
    .await?;
    Ok((status, page).into_response())
}

// ------------------------------------------------------------------------------------------
// API tokens.

#[derive(Debug, Clone, Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
}

impl Default for NewTokenForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            role: "viewer".into(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/tokens.html")]
struct TokensPage {
    ui: Ui,
    tokens: Vec<ApiToken>,
    roles: Vec<Role>,
    form: NewTokenForm,
    errors: FormErrors,
    /// The secret of the token just created: shown on this page only.
    secret: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    ui: Ui,
    form: NewTokenForm,
    errors: FormErrors,
    secret: Option<String>,
) -> Result<Response, PageError> {
    let tokens = state
        .tenancy()
        .list_api_tokens(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    let page = TokensPage {
        roles: role_choices(&ui),
        ui,
        tokens,
        form,
        errors: errors.clone(),
        secret,
    };
    Ok(with_status(&errors, page))
}

async fn tokens(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    admin(&ui)?;
    tokens_page(
        &state,
        ui,
        NewTokenForm::default(),
        FormErrors::default(),
        None,
    )
    .await
}

async fn create_token(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<NewTokenForm>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let role = match Role::parse(&form.role) {
        Ok(role) if ui.caller.role.may_grant(role) => role,
        _ => {
            let errors = FormErrors::field_only(ui.lang, "role", "error-role");
            return tokens_page(&state, ui, form, errors, None).await;
        }
    };
    match state
        .tenancy()
        .create_api_token(&ui.caller, &form.name, role)
        .await
    {
        // The secret is rendered into this response and nowhere else: no redirect, no storage.
        Ok((_, secret)) => {
            tokens_page(
                &state,
                ui,
                NewTokenForm::default(),
                FormErrors::default(),
                Some(secret),
            )
            .await
        }
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            tokens_page(&state, ui, form, errors, None).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

/// A form that carries nothing but its CSRF token.
#[derive(Debug, Deserialize)]
struct NoFields {}

async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm {
        ui,
        form: NoFields {},
    }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let id = TokenId::parse(&id).map_err(|e| ui.error(e))?;
    state
        .tenancy()
        .revoke_api_token(&ui.caller, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/settings/api-tokens").into_response())
}

// ------------------------------------------------------------------------------------------
// Email.

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    pub sender_name: String,
    #[serde(default)]
    pub sender_email: String,
    #[serde(default)]
    pub reply_to: String,
    /// `file_drop` or `smtp`.
    #[serde(default)]
    pub transport: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: String,
    /// `starttls`, `tls` or `plain`.
    #[serde(default)]
    pub security: String,
    #[serde(default)]
    pub username: String,
    /// Write-only: empty keeps the stored password.
    #[serde(default)]
    pub password: String,
}

impl EmailForm {
    fn of(settings: MailSettings) -> Self {
        let mut form = Self {
            sender_name: settings.sender_name,
            sender_email: settings.sender_email,
            reply_to: settings.reply_to.unwrap_or_default(),
            transport: "file_drop".into(),
            port: "587".into(),
            security: "starttls".into(),
            ..Self::default()
        };
        if let Transport::Smtp {
            host,
            port,
            security,
            username,
            ..
        } = settings.transport
        {
            form.transport = "smtp".into();
            form.host = host;
            form.port = port.to_string();
            form.security = security_code(security).into();
            form.username = username.unwrap_or_default();
        }
        form
    }

    fn smtp(&self) -> bool {
        self.transport == "smtp"
    }

    /// The settings the form describes, or the field it got wrong and the reason's key.
    fn settings(&self) -> Result<MailSettings, (&'static str, &'static str)> {
        let transport = if self.smtp() {
            let port = match self.port.trim().parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(("port", "error-port")),
            };
            let security = match self.security.as_str() {
                "tls" => SmtpSecurity::Tls,
                "plain" => SmtpSecurity::Plain,
                _ => SmtpSecurity::Starttls,
            };
            Transport::Smtp {
                host: self.host.trim().to_string(),
                port,
                security,
                username: Some(self.username.trim().to_string()).filter(|u| !u.is_empty()),
                password: Some(self.password.clone()).filter(|p| !p.is_empty()),
            }
        } else {
            Transport::FileDrop
        };
        Ok(MailSettings {
            sender_name: self.sender_name.clone(),
            sender_email: self.sender_email.clone(),
            reply_to: Some(self.reply_to.trim().to_string()).filter(|r| !r.is_empty()),
            transport,
        })
    }
}

fn security_code(security: SmtpSecurity) -> &'static str {
    match security {
        SmtpSecurity::Starttls => "starttls",
        SmtpSecurity::Tls => "tls",
        SmtpSecurity::Plain => "plain",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings/email.html")]
struct EmailPage {
    ui: Ui,
    form: EmailForm,
    errors: FormErrors,
    /// Set after saving or testing: what happened, and whether it went well.
    outcome: Option<(bool, String)>,
    mail_dir: String,
}

fn email_page(
    state: &AppState,
    ui: Ui,
    form: EmailForm,
    errors: FormErrors,
    outcome: Option<(bool, String)>,
) -> Response {
    let page = EmailPage {
        ui,
        form,
        errors: errors.clone(),
        outcome,
        mail_dir: state.settings.data_dir.join("mail").display().to_string(),
    };
    with_status(&errors, page)
}

async fn email(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    admin(&ui)?;
    let settings = MailService::new(state.db.clone())
        .settings(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(email_page(
        &state,
        ui,
        EmailForm::of(settings),
        FormErrors::default(),
        None,
    ))
}

async fn save_email(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<EmailForm>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let settings = match form.settings() {
        Ok(settings) => settings,
        Err((field, key)) => {
            let errors = FormErrors::field_only(ui.lang, field, key);
            return Ok(email_page(&state, ui, form, errors, None));
        }
    };
    match MailService::new(state.db.clone())
        .put_settings(&ui.caller.org, settings)
        .await
    {
        Ok(saved) => {
            let outcome = Some((true, ui.lang.t("saved")));
            Ok(email_page(
                &state,
                ui,
                EmailForm::of(saved),
                FormErrors::default(),
                outcome,
            ))
        }
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            Ok(email_page(&state, ui, form, errors, None))
        }
        Err(err) => Err(ui.error(err)),
    }
}

/// Connects to the saved SMTP server (a file drop needs no test). Tests what is saved, not
/// what is typed, so the password stays write-only.
async fn test_email(
    State(state): State<AppState>,
    CsrfForm {
        ui,
        form: NoFields {},
    }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    admin(&ui)?;
    let settings = MailService::new(state.db.clone())
        .settings(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    let outcome = match check_transport(&settings).await {
        Ok(()) => (true, ui.lang.t("email-test-ok")),
        Err(err) => (
            false,
            format!(
                "{} {}",
                ui.lang.t("email-test-failed"),
                error_message(ui.lang, &err)
            ),
        ),
    };
    Ok(email_page(
        &state,
        ui,
        EmailForm::of(settings),
        FormErrors::default(),
        Some(outcome),
    ))
}
