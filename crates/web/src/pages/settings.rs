//! Settings: the organization (name, language, time zone and currency, each picked from a
//! list), API tokens (create — the secret is shown once —, revoke) and email (sender and
//! transport, with a connection test). All of it needs the administer permission.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono_tz::Tz;
use fullhouse_core::http::AppState;
use fullhouse_core::mail::delivery::check_transport;
use fullhouse_core::mail::{MailService, MailSettings, SmtpSecurity, Transport};
use fullhouse_core::tenancy::model::{ApiToken, Organization, Role};
use fullhouse_core::tenancy::service::OrganizationPatch;
use fullhouse_core::{Error, Permission, TokenId};
use serde::Deserialize;

use super::pickers::{all_timezones, COMMON_CURRENCIES, COMMON_TIMEZONES, CURRENCIES};
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
        .route("/settings/api-tokens", get(tokens).post(create_token))
        .route("/settings/api-tokens/{id}/revoke", post(revoke_token))
        .route("/settings/email", get(email).post(save_email))
        .route("/settings/email/test", post(test_email))
}

pub(super) fn role_choices(ui: &Ui) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| ui.caller.role.may_grant(*r))
        .collect()
}

/// Settings pages only open for those who may administer.
pub(super) fn admin(ui: &Ui) -> Result<(), PageError> {
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
    common_timezones: &'static [&'static str],
    timezones: Vec<&'static str>,
    common_currencies: &'static [&'static str],
    currencies: &'static [&'static str],
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
        common_timezones: &COMMON_TIMEZONES,
        timezones: all_timezones(),
        common_currencies: &COMMON_CURRENCIES,
        currencies: &CURRENCIES,
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
    } else if !CURRENCIES.contains(&form.currency.trim()) {
        FormErrors::field_only(ui.lang, "currency", "error-currency")
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
        common_timezones: &COMMON_TIMEZONES,
        timezones: all_timezones(),
        common_currencies: &COMMON_CURRENCIES,
        currencies: &CURRENCIES,
        languages: Lang::ALL,
    };
    Ok(with_status(&errors, page))
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
