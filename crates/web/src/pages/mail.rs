//! Mail pages: the outbox (every message and its state) and the template editor (per key and
//! language, with a live preview through htmx and the variables each template gets).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::mail::templates::documented_variables;
use fullhouse_core::mail::{
    MailService, MailTemplate, OutboxMessage, Rendered, TEMPLATE_LANGUAGES,
};
use fullhouse_core::{Error, Permission};
use serde::Deserialize;

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
use crate::layout::{next_link, with_status, FormErrors, PageError, Ui};

const PAGE_SIZE: u64 = 50;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/outbox", get(outbox))
        .route("/settings/templates", get(templates))
        .route(
            "/settings/templates/{key}/{language}",
            get(edit_template).post(save_template),
        )
        .route(
            "/settings/templates/{key}/{language}/preview",
            post(preview_template),
        )
}

fn mail(state: &AppState) -> MailService {
    MailService::new(state.db.clone())
}

#[derive(Debug, Deserialize)]
struct CursorQuery {
    #[serde(default)]
    cursor: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mail/outbox.html")]
struct OutboxPage {
    ui: Ui,
    messages: Vec<OutboxMessage>,
    next: Option<String>,
}

async fn outbox(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<CursorQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let page = mail(&state)
        .outbox(
            &ui.caller.org,
            &PageParams {
                cursor: Some(query.cursor).filter(|c| !c.is_empty()),
                limit: Some(PAGE_SIZE),
            },
        )
        .await
        .map_err(|e| ui.error(e))?;
    Ok(OutboxPage {
        next: page.next_cursor.map(|c| next_link("/outbox", &[], &c)),
        messages: page.items,
        ui,
    }
    .into_response())
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
    saved: bool,
    preview: Preview,
}

impl TemplateEditPage {
    /// What a documented variable holds, in the user's language (the English text from the
    /// mail module when there is no translation).
    fn meaning(&self, name: &str, english: &str) -> String {
        let key = format!("var-{}", name.replace(['.', '_'], "-"));
        self.ui.lang.t_or(&key, english)
    }
}

/// The preview beside the editor: the rendered message, or why it does not render.
pub struct Preview {
    pub rendered: Option<Rendered>,
    pub problem: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mail/_preview.html")]
struct PreviewPartial {
    ui: Ui,
    preview: Preview,
}

/// Core's plausible preview values, addressed to the signed-in user of this organization.
fn sample_variables(ui: &Ui, key: &str) -> Value {
    let mut values = fullhouse_core::mail::templates::sample_variables(key);
    if let Some(fields) = values.as_object_mut() {
        fields.insert("organization".into(), Value::from(ui.org_name.clone()));
        fields.insert("recipient".into(), Value::from(ui.user_name.clone()));
    }
    values
}

/// Renders in the sandbox process (see `fullhouse_core::mail::sandbox`): a template too
/// expensive to render shows why beside the editor instead of holding this request's thread.
async fn render_preview(ui: &Ui, service: &MailService, template: &MailTemplate) -> Preview {
    match service
        .preview(template, &sample_variables(ui, &template.key))
        .await
    {
        Ok(rendered) => Preview {
            rendered: Some(rendered),
            problem: None,
        },
        Err(err) => Preview {
            rendered: None,
            problem: Some(error_message(ui.lang, &err)),
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
struct SavedQuery {
    #[serde(default)]
    saved: String,
}

async fn edit_template(
    State(state): State<AppState>,
    ui: Ui,
    Path((key, language)): Path<(String, String)>,
    Query(query): Query<SavedQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let template = find_template(&state, &ui, &key, &language).await?;
    let preview = render_preview(&ui, &mail(&state), &template).await;
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
        saved: !query.saved.is_empty(),
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

async fn save_template(
    State(state): State<AppState>,
    Path((key, language)): Path<(String, String)>,
    CsrfForm { ui, form }: CsrfForm<TemplateForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let current = find_template(&state, &ui, &key, &language).await?;
    let service = mail(&state);
    let edited = MailTemplate {
        subject: form.subject.clone(),
        html: form.html.clone(),
        text: form.text.clone(),
        built_in: false,
        ..current
    };
    let preview = render_preview(&ui, &service, &edited).await;
    let (errors, built_in) = match service.put_template(&ui.caller.org, edited).await {
        Ok(saved) => {
            if !ui.htmx {
                let to = format!("/settings/templates/{key}/{language}?saved=1");
                return Ok(Redirect::to(&to).into_response());
            }
            (FormErrors::default(), saved.built_in)
        }
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            (FormErrors::from_error(ui.lang, &err), false)
        }
        Err(err) => return Err(ui.error(err)),
    };
    let page = TemplateEditPage {
        variables: documented_variables(&key),
        built_in,
        saved: errors.is_empty(),
        ui,
        key,
        language,
        form,
        preview,
        errors: errors.clone(),
    };
    Ok(with_preview_policy(with_status(&errors, page)))
}

async fn preview_template(
    State(state): State<AppState>,
    Path((key, language)): Path<(String, String)>,
    CsrfForm { ui, form }: CsrfForm<TemplateForm>,
) -> Result<Response, PageError> {
    // Previewing runs the typed source, so it needs the role that may save it (the saved
    // version's preview on the editor page needs only read access).
    ui.require(Permission::Market)?;
    let current = find_template(&state, &ui, &key, &language).await?;
    let edited = MailTemplate {
        subject: form.subject,
        html: form.html,
        text: form.text,
        built_in: false,
        ..current
    };
    let preview = render_preview(&ui, &mail(&state), &edited).await;
    Ok(PreviewPartial { ui, preview }.into_response())
}
