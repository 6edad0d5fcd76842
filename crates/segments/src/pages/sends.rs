//! Actions → Campaign link (`/segments/{id}/actions/mail`): mail a campaign link to the view
//! open on the dashboard (seed 002, "Kampagnelink" steps 4–6).
//!
//! The page receives the dashboard's query string (its filters, `view` and "view for"). It is
//! only for a view shown for an event or production: otherwise it says so and links back. The
//! form picks a campaign link that opens that event or production, a template, a subject and a
//! custom text; **Preview** renders the real mail for one real customer of the view, **Send**
//! starts the `segments.send` job and goes to the Jobs page.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_audiences::campaigns::links::{CampaignLink, CampaignLinkId, CampaignLinkService};
use fullhouse_core::http::AppState;
use fullhouse_core::mail::Rendered;
use fullhouse_core::{Error, Permission};
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::service;
use crate::index::Registry;
use crate::model::form::DashboardForm;
use crate::model::{Segment, SegmentId, ViewId};
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
    segment: Segment,
    /// The dashboard's query, to go back to the same view and to post the form with.
    query: String,
    /// False when the view is not shown for an event or production.
    for_target: bool,
    members: i64,
    links: Vec<CampaignLink>,
    templates: Vec<&'static str>,
    form: SendForm,
    preview: Option<Rendered>,
    preview_for: String,
    errors: FormErrors,
}

/// The send the dashboard's query and the form describe. The saved view's filters win over the
/// form's, as on the dashboard.
fn new_send(dashboard: &DashboardForm, form: &SendForm) -> Result<NewSend, Error> {
    let request = dashboard.count_request()?;
    let view_id = (!dashboard.view.trim().is_empty())
        .then(|| ViewId::parse(dashboard.view.trim()))
        .transpose()?;
    Ok(NewSend {
        selection: SelectionBody {
            filters: if view_id.is_some() {
                Vec::new()
            } else {
                request.filters
            },
            view_id,
            view_for: request.view_for,
        },
        link_id: CampaignLinkId::from_db(form.link_id.clone()),
        template: if form.template.is_empty() {
            DEFAULT_TEMPLATE.to_string()
        } else {
            form.template.clone()
        },
        subject: form.subject.clone(),
        text: form.text.clone(),
    })
}

async fn render(
    state: &AppState,
    registry: &Registry,
    ui: Ui,
    id: &SegmentId,
    (query, dashboard): (String, &DashboardForm),
    form: SendForm,
    outcome: (Option<(Rendered, String)>, FormErrors),
) -> Result<Response, PageError> {
    let org = &ui.caller.org;
    let segment = service(state)
        .segment(org, id)
        .await
        .map_err(|e| ui.error(e))?;
    let probe = new_send(dashboard, &form).map_err(|e| ui.error(e))?;
    let for_target = probe.event_id().is_some() || probe.production_id().is_some();
    let (links, members) = if for_target {
        let links = CampaignLinkService::new(state.db.clone())
            .covering(
                org,
                probe.event_id(),
                probe.production_id(),
                &state.settings.public_url,
            )
            .await
            .map_err(|e| ui.error(e))?;
        let members = service(state)
            .members(registry, org, &probe.selection(id), chrono::Utc::now())
            .await
            .map_err(|e| ui.error(e))?;
        (links, i64::try_from(members.len()).unwrap_or(i64::MAX))
    } else {
        (Vec::new(), 0)
    };
    let (preview, errors) = outcome;
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
            segment,
            query,
            for_target,
            members,
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
    Query(dashboard): Query<DashboardForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let form = SendForm {
        template: DEFAULT_TEMPLATE.to_string(),
        ..SendForm::default()
    };
    let query = query.unwrap_or_default();
    render(
        &state,
        &registry,
        ui,
        &id,
        (query, &dashboard),
        form,
        (None, FormErrors::default()),
    )
    .await
}

pub(super) async fn send_action(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    Query(dashboard): Query<DashboardForm>,
    CsrfForm { ui, form }: CsrfForm<SendForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let query = query.unwrap_or_default();
    let new = new_send(&dashboard, &form).map_err(|e| ui.error(e))?;
    let public_url = state.settings.public_url.clone();
    let sends = SendService::new(state.db.clone());
    let outcome = if form.intent == "send" {
        match sends
            .start(&registry, &ui.caller, &id, new, &public_url)
            .await
        {
            Ok(_) => return Ok(Redirect::to("/jobs").into_response()),
            Err(err) => Err(err),
        }
    } else {
        preview(&state, &registry, &ui, &id, &new, &public_url).await
    };
    let outcome = match outcome {
        Ok(preview) => (Some(preview), FormErrors::default()),
        Err(err @ Error::Validation { .. }) => (None, FormErrors::from_error(ui.lang, &err)),
        Err(err) => return Err(ui.error(err)),
    };
    render(&state, &registry, ui, &id, (query, &dashboard), form, outcome).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboards_query_becomes_the_send_s_selection() {
        let dashboard = DashboardForm {
            for_event: "evt_01J00000000000000000000000".to_string(),
            ..DashboardForm::default()
        };
        let form = SendForm {
            link_id: "cml_01J00000000000000000000000".to_string(),
            subject: "Hi".to_string(),
            ..SendForm::default()
        };
        let new = new_send(&dashboard, &form).expect("reads");
        assert_eq!(
            new.event_id().map(|e| e.to_string()).as_deref(),
            Some("evt_01J00000000000000000000000")
        );
        assert_eq!(new.template, DEFAULT_TEMPLATE);
        assert!(new.selection.view_id.is_none() && new.selection.filters.is_empty());
    }

    #[test]
    fn a_view_for_that_is_no_id_is_refused_naming_its_field() {
        let dashboard = DashboardForm {
            for_event: "not-an-id".to_string(),
            ..DashboardForm::default()
        };
        assert!(new_send(&dashboard, &SendForm::default()).is_err());
    }
}
