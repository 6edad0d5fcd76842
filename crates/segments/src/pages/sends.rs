//! Actions → Campaign link (`/segments/{id}/actions/mail`): mail a campaign link to the view
//! open on the dashboard (seed 002, "Kampagnelink" steps 4–6).
//!
//! The page receives the dashboard's query string (its filters, `view` and "view for"), read by
//! [`super::actions::chosen`] like every action page's. It is only for a view shown for an event
//! or production: otherwise it says so and links back. The
//! form picks a campaign link that opens that event or production, a template, a subject and a
//! custom text; **Preview** renders the real mail for one real customer of the view, **Send**
//! starts the `segments.send` job and goes to the Jobs page.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_audiences::campaigns::links::{CampaignLink, CampaignLinkId, CampaignLinkService};
use fullhouse_core::http::AppState;
use fullhouse_core::mail::Rendered;
use fullhouse_core::{Error, Permission};
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::actions::{chosen, Chosen};
use crate::index::Registry;
use crate::model::SegmentId;
use crate::selection::SelectionBody;
use crate::sends::run::{preview_customer, Composer};
use crate::sends::{sendable_templates, NewSend, SendService, DEFAULT_TEMPLATE};

/// What the person typed and chose.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SendForm {
    #[serde(default)]
    pub link_id: String,
    #[serde(default)]
    pub template: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub text: String,
    /// `preview` or `send` (the button pressed).
    #[serde(default)]
    pub intent: String,
}

impl SendForm {
    pub fn selected(&self, field: &str, value: &str) -> &'static str {
        let current = match field {
            "link_id" => self.link_id.as_str(),
            _ => self.template.as_str(),
        };
        if current == value {
            "selected"
        } else {
            ""
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/send.html")]
struct SendPage {
    ui: Ui,
    chosen: Chosen,
    links: Vec<CampaignLink>,
    templates: Vec<&'static str>,
    form: SendForm,
    preview: Option<Rendered>,
    preview_for: String,
    errors: FormErrors,
}

/// The send the chosen selection and the form describe.
fn new_send(chosen: &Chosen, form: &SendForm) -> NewSend {
    let selection = &chosen.selection;
    NewSend {
        selection: SelectionBody {
            view_id: selection.view_id.clone(),
            filters: selection.filters.clone(),
            view_for: selection.view_for.clone(),
        },
        link_id: CampaignLinkId::from_db(form.link_id.clone()),
        template: if form.template.is_empty() {
            DEFAULT_TEMPLATE.to_string()
        } else {
            form.template.clone()
        },
        subject: form.subject.clone(),
        text: form.text.clone(),
    }
}

async fn render(
    state: &AppState,
    ui: Ui,
    chosen: Chosen,
    form: SendForm,
    (preview, errors): (Option<(Rendered, String)>, FormErrors),
) -> Result<Response, PageError> {
    let view_for = &chosen.selection.view_for;
    let links = if chosen.is_shown_for() {
        CampaignLinkService::new(state.db.clone())
            .covering(
                &ui.caller.org,
                view_for.event_id.as_ref(),
                view_for.production_id.as_ref(),
                &state.settings.public_url,
            )
            .await
            .map_err(|e| ui.error(e))?
    } else {
        Vec::new()
    };
    let (preview, preview_for) = match preview {
        Some((rendered, name)) => (Some(rendered), name),
        None => (None, String::new()),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        SendPage {
            ui,
            chosen,
            links,
            templates: sendable_templates(),
            form,
            preview,
            preview_for,
            errors,
        },
    )
        .into_response())
}

pub(super) async fn send_form(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    let form = SendForm {
        template: DEFAULT_TEMPLATE.to_string(),
        ..SendForm::default()
    };
    render(&state, ui, chosen, form, (None, FormErrors::default())).await
}

pub(super) async fn send_action(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    CsrfForm { ui, form }: CsrfForm<SendForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    let new = new_send(&chosen, &form);
    let public_url = state.settings.public_url.clone();
    let segment = chosen.segment.id.clone();
    let outcome = if form.intent == "send" {
        match SendService::new(state.db.clone())
            .start(&registry, &ui.caller, &segment, new, &public_url)
            .await
        {
            Ok(_) => return Ok(Redirect::to("/jobs").into_response()),
            Err(err) => Err(err),
        }
    } else {
        preview(&state, &registry, &ui, &segment, &new, &public_url).await
    };
    let outcome = match outcome {
        Ok(preview) => (Some(preview), FormErrors::default()),
        Err(err @ Error::Validation { .. }) => (None, FormErrors::from_error(ui.lang, &err)),
        Err(err) => return Err(ui.error(err)),
    };
    render(&state, ui, chosen, form, outcome).await
}

/// The mail for the view's first customer with an address, and that customer's name.
async fn preview(
    state: &AppState,
    registry: &Registry,
    ui: &Ui,
    id: &SegmentId,
    new: &NewSend,
    public_url: &str,
) -> Result<(Rendered, String), Error> {
    let sends = SendService::new(state.db.clone());
    let (members, link) = sends
        .check(registry, &ui.caller.org, id, new, public_url)
        .await?;
    let customer = preview_customer(&state.db, &ui.caller.org, &members, None).await?;
    let composer = Composer::new(
        &state.db,
        &ui.caller.org,
        &new.template,
        new.subject.trim(),
        &new.text,
        &link.url,
        public_url,
    )
    .await?;
    let name = [&customer.first_name, &customer.last_name]
        .iter()
        .filter_map(|p| p.as_deref())
        .collect::<Vec<_>>()
        .join(" ");
    let shown = format!("{name} <{}>", customer.email.clone().unwrap_or_default());
    Ok((composer.preview(&customer).await?, shown))
}
