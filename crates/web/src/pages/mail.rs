//! Mail pages: the outbox (every message and its state, each message opened) and the template
//! editor (per key and language, with a live preview through htmx that names unknown variables,
//! the variables each template gets, a test sent to oneself, and a reset to the built-in text).

mod outbox;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::mail::templates::{documented_variables, unknown_variables, UnknownVariable};
use fullhouse_core::mail::{MailService, MailTemplate, MessageId, Rendered, TEMPLATE_LANGUAGES};
use fullhouse_core::{Error, Permission};
use serde::Deserialize;

use crate::i18n::Lang;
use crate::CsrfForm;
use serde_json::Value;

/// The Content-Security-Policy of the mail template editor, whose preview shows the mail's own
/// HTML in a sandboxed `srcdoc` frame (which inherits the page's policy): mail HTML is styled
/// inline and shows remote images, so styles may be inline and images come from anywhere on
/// HTTPS. Scripts stay this site's only (and the frame's sandbox runs none).
pub const MAIL_PREVIEW_PAGE_CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

use crate::i18n::error_message;
use crate::layout::{with_status, FormErrors, PageError, Ui};

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/outbox", get(outbox::outbox))
        .route("/outbox/{id}", get(outbox::message))
        .route("/settings/templates", get(templates))
        .route(
            "/settings/templates/{key}/{language}",
            get(edit_template).post(save_template),
        )
        .route(
            "/settings/templates/{key}/{language}/preview",
            post(preview_template),
        )
        .route("/settings/templates/{key}/{language}/test", post(send_test))
        .route(
            "/settings/templates/{key}/{language}/reset",
            get(confirm_reset).post(reset_template),
        )
}

fn mail(state: &AppState) -> MailService {
    MailService::new(state.db.clone())
}

/// One template key and its version in each language.
pub struct TemplateRow {
    pub key: String,
    pub versions: Vec<MailTemplate>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mail/templates.html")]
struct TemplatesPage {
    ui: Ui,
    rows: Vec<TemplateRow>,
}

async fn templates(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let all = mail(&state)
        .templates(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    let mut rows: Vec<TemplateRow> = Vec::new();
    for template in all {
        match rows.iter_mut().find(|r| r.key == template.key) {
            Some(row) => row.versions.push(template),
            None => rows.push(TemplateRow {
                key: template.key.clone(),
                versions: vec![template],
            }),
        }
    }
    Ok(TemplatesPage { ui, rows }.into_response())
}

/// The editor's fields, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub html: String,
    #[serde(default)]
    pub text: String,
}

/// What the editor page says above the form after an action.
#[derive(Debug, Clone, Default)]
pub enum Done {
    #[default]
    Nothing,
    Saved,
    Reset,
    /// A test went to this address, as this outbox message.
    TestSent(String, MessageId),
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mail/template_edit.html")]
struct TemplateEditPage {
    ui: Ui,
    key: String,
    language: String,
    built_in: bool,
    form: TemplateForm,
    variables: &'static [(&'static str, &'static str)],
    errors: FormErrors,
    done: Done,
    preview: Preview,
}

impl TemplateEditPage {
    /// What a documented variable holds, in the user's language (the English text from the
    /// mail module when there is no translation).
    fn meaning(&self, name: &str, english: &str) -> String {
        variable_meaning(self.ui.lang, &self.key, name, english)
    }
}

/// What variable `name` of template `key` holds in `lang`: the template's own wording
/// (`var-<key>-<name>`), else the common one (`var-<name>`), else the English text.
pub fn variable_meaning(lang: Lang, key: &str, name: &str, english: &str) -> String {
    let name = name.replace("[]", "").replace(['.', '_'], "-");
    let own = format!("var-{}-{name}", key.replace('_', "-"));
    lang.t_or(&own, &lang.t_or(&format!("var-{name}"), english))
}

/// The preview beside the editor: the rendered message, or why it does not render, and the
/// variables it uses that its mail never gets.
pub struct Preview {
    pub rendered: Option<Rendered>,
    pub problem: Option<String>,
    pub unknown: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mail/_preview.html")]
struct PreviewPartial {
    ui: Ui,
    preview: Preview,
}

/// Core's plausible preview values in the template's language, addressed to the signed-in user
/// of this organization.
fn sample_variables(ui: &Ui, template: &MailTemplate) -> Value {
    let mut values =
        fullhouse_core::mail::templates::sample_variables(&template.key, &template.language);
    if let Some(fields) = values.as_object_mut() {
        fields.insert("organization".into(), Value::from(ui.org_name.clone()));
        fields.insert("recipient".into(), Value::from(ui.user_name.clone()));
    }
    values
}

/// An unknown variable in words: the part, the variable, and the closest documented one.
fn unknown_sentence(lang: Lang, unknown: &UnknownVariable) -> String {
    let part = match unknown.part {
        "subject" => lang.t("col-subject"),
        "html" => lang.t("templates-html"),
        _ => lang.t("templates-text"),
    };
    let variable = |name: &str| format!("{{{{ {name} }}}}");
    let mut sentence = format!(
        "{part}: {}",
        lang.t1(
            "templates-unknown-variable",
            "name",
            variable(&unknown.name)
        )
    );
    if let Some(suggestion) = unknown.suggestion {
        sentence.push(' ');
        sentence.push_str(&lang.t1("templates-did-you-mean", "name", variable(suggestion)));
    }
    sentence
}

/// The unknown variables as field errors beside the subject, HTML and text.
fn unknown_errors(lang: Lang, unknown: &[UnknownVariable]) -> FormErrors {
    FormErrors::fields(
        lang,
        unknown
            .iter()
            .map(|u| (u.part.to_string(), unknown_sentence(lang, u)))
            .collect(),
    )
}

/// Renders in the sandbox process (see `fullhouse_core::mail::sandbox`): a template too
/// expensive to render shows why beside the editor instead of holding this request's thread.
async fn render_preview(ui: &Ui, service: &MailService, template: &MailTemplate) -> Preview {
    let unknown = unknown_variables(template)
        .iter()
        .map(|u| unknown_sentence(ui.lang, u))
        .collect();
    match service
        .preview(template, &sample_variables(ui, template))
        .await
    {
        Ok(rendered) => Preview {
            rendered: Some(rendered),
            problem: None,
            unknown,
        },
        Err(err) => Preview {
            rendered: None,
            problem: Some(error_message(ui.lang, &err)),
            unknown,
        },
    }
}

/// The template at `key`/`language`, or not found for a key or language that does not exist
/// (the service would fall back to English for an unknown language).
async fn find_template(
    state: &AppState,
    ui: &Ui,
    key: &str,
    language: &str,
) -> Result<MailTemplate, PageError> {
    if !TEMPLATE_LANGUAGES.contains(&language) {
        return Err(ui.error(Error::NotFound("template")));
    }
    mail(state)
        .template(&ui.caller.org, key, language)
        .await
        .map_err(|e| ui.error(e))
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    saved: String,
    #[serde(default)]
    reset: String,
}

async fn edit_template(
    State(state): State<AppState>,
    ui: Ui,
    Path((key, language)): Path<(String, String)>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let template = find_template(&state, &ui, &key, &language).await?;
    let preview = render_preview(&ui, &mail(&state), &template).await;
    let done = if !query.saved.is_empty() {
        Done::Saved
    } else if !query.reset.is_empty() {
        Done::Reset
    } else {
        Done::Nothing
    };
    let form = TemplateForm {
        subject: template.subject,
        html: template.html,
        text: template.text,
    };
    let page = TemplateEditPage {
        variables: documented_variables(&key),
        built_in: template.built_in,
        ui,
        key,
        language,
        form,
        errors: FormErrors::default(),
        done,
        preview,
    };
    Ok(with_preview_policy(page.into_response()))
}

/// The editor's preview frame shows mail HTML, styled inline: its page allows inline styles.
fn with_preview_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(MAIL_PREVIEW_PAGE_CSP),
    );
    response
}

/// The editor as typed, with `errors` or what was `done`.
struct Typed {
    current: MailTemplate,
    form: TemplateForm,
}

impl Typed {
    async fn load(
        state: &AppState,
        ui: &Ui,
        key: &str,
        language: &str,
        form: TemplateForm,
    ) -> Result<Self, PageError> {
        let current = find_template(state, ui, key, language).await?;
        Ok(Self { current, form })
    }

    /// The typed source as a template of this key and language.
    fn edited(&self) -> MailTemplate {
        MailTemplate {
            subject: self.form.subject.clone(),
            html: self.form.html.clone(),
            text: self.form.text.clone(),
            built_in: false,
            ..self.current.clone()
        }
    }

    async fn page(self, state: &AppState, ui: Ui, errors: FormErrors, done: Done) -> Response {
        let preview = render_preview(&ui, &mail(state), &self.edited()).await;
        let page = TemplateEditPage {
            variables: documented_variables(&self.current.key),
            built_in: self.current.built_in,
            key: self.current.key,
            language: self.current.language,
            ui,
            form: self.form,
            preview,
            errors: errors.clone(),
            done,
        };
        with_preview_policy(with_status(&errors, page))
    }
}

async fn save_template(
    State(state): State<AppState>,
    Path((key, language)): Path<(String, String)>,
    CsrfForm { ui, form }: CsrfForm<TemplateForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let mut typed = Typed::load(&state, &ui, &key, &language, form).await?;
    let edited = typed.edited();
    // Refused with the reasons in the user's language (the service refuses too, in English).
    let unknown = unknown_variables(&edited);
    if !unknown.is_empty() {
        let errors = unknown_errors(ui.lang, &unknown);
        return Ok(typed.page(&state, ui, errors, Done::Nothing).await);
    }
    match mail(&state).put_template(&ui.caller.org, edited).await {
        Ok(saved) => {
            if !ui.htmx {
                let to = format!("/settings/templates/{key}/{language}?saved=1");
                return Ok(Redirect::to(&to).into_response());
            }
            typed.current.built_in = saved.built_in;
            Ok(typed
                .page(&state, ui, FormErrors::default(), Done::Saved)
                .await)
        }
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            Ok(typed.page(&state, ui, errors, Done::Nothing).await)
        }
        Err(err) => Err(ui.error(err)),
    }
}

/// Sends the typed template, rendered with the sample values, to the signed-in user through
/// the outbox (a test message, its subject marked), and shows the editor again as typed.
async fn send_test(
    State(state): State<AppState>,
    Path((key, language)): Path<(String, String)>,
    CsrfForm { ui, form }: CsrfForm<TemplateForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let typed = Typed::load(&state, &ui, &key, &language, form).await?;
    let edited = typed.edited();
    let unknown = unknown_variables(&edited);
    if !unknown.is_empty() {
        let errors = unknown_errors(ui.lang, &unknown);
        return Ok(typed.page(&state, ui, errors, Done::Nothing).await);
    }
    let Some(user) = ui.caller.user.clone() else {
        return Err(ui.error(Error::invalid(
            "to",
            "sign in as a person to send a test to yourself",
        )));
    };
    let me = state
        .tenancy()
        .user(&ui.caller.org, &user)
        .await
        .map_err(|e| ui.error(e))?;
    // The mark is in the template's language: the test reads as the customer's mail would.
    let marker = Lang::from_stored(&language).t("templates-test-marker");
    let sent = mail(&state)
        .send_test(
            &ui.caller.org,
            &edited,
            &sample_variables(&ui, &edited),
            (&me.email, &me.name),
            &marker,
        )
        .await;
    match sent {
        Ok(id) => {
            let done = Done::TestSent(me.email, id);
            Ok(typed.page(&state, ui, FormErrors::default(), done).await)
        }
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            Ok(typed.page(&state, ui, errors, Done::Nothing).await)
        }
        Err(err) => Err(ui.error(err)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mail/template_reset.html")]
struct ResetPage {
    ui: Ui,
    key: String,
    language: String,
}

/// Asks before the organization's version is deleted (a page of its own: no script needed).
async fn confirm_reset(
    State(state): State<AppState>,
    ui: Ui,
    Path((key, language)): Path<(String, String)>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let template = find_template(&state, &ui, &key, &language).await?;
    if template.built_in {
        let to = format!("/settings/templates/{key}/{language}");
        return Ok(Redirect::to(&to).into_response());
    }
    Ok(ResetPage { ui, key, language }.into_response())
}

#[derive(Debug, Deserialize)]
struct NoFields {}

async fn reset_template(
    State(state): State<AppState>,
    Path((key, language)): Path<(String, String)>,
    CsrfForm { ui, .. }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    find_template(&state, &ui, &key, &language).await?;
    mail(&state)
        .reset_template(&ui.caller.org, &key, &language)
        .await
        .map_err(|e| ui.error(e))?;
    let to = format!("/settings/templates/{key}/{language}?reset=1");
    Ok(Redirect::to(&to).into_response())
}

async fn preview_template(
    State(state): State<AppState>,
    Path((key, language)): Path<(String, String)>,
    CsrfForm { ui, form }: CsrfForm<TemplateForm>,
) -> Result<Response, PageError> {
    // Previewing runs the typed source, so it needs the role that may save it (the saved
    // version's preview on the editor page needs only read access).
    ui.require(Permission::Market)?;
    let typed = Typed::load(&state, &ui, &key, &language, form).await?;
    let preview = render_preview(&ui, &mail(&state), &typed.edited()).await;
    Ok(PreviewPartial { ui, preview }.into_response())
}
