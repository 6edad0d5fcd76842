//! The campaign page's links section (Promote → Campaigns → a campaign → Links): the campaign's
//! links with the address each opens, a form to create one and a button to delete one. The
//! campaign page loads the section with htmx; without script, its link opens it as a page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Permission};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::{EventId, ProductionId};
use fullhouse_web::layout::with_status;
use fullhouse_web::{page_or_partial, CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use crate::campaigns::links::{CampaignLink, CampaignLinkId, CampaignLinkService, NewCampaignLink};
use crate::campaigns::{Campaign, CampaignId, CampaignService};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/links", get(section).post(create))
        .route("/campaigns/{id}/links/{link}/delete", post(delete))
}

/// An event or production the campaign applies to, as the form's select offers it.
pub struct Target {
    /// `event:<id>` or `production:<id>`.
    pub value: String,
    pub label: String,
}

/// What the section shows.
pub struct Links {
    campaign: Campaign,
    links: Vec<CampaignLink>,
    targets: Vec<Target>,
    form: LinkForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/campaigns/links.html")]
struct LinksPage {
    ui: Ui,
    view: Links,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/campaigns/_links.html")]
struct LinksPartial {
    ui: Ui,
    view: Links,
}

/// The create form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub code: String,
}

impl LinkForm {
    fn link(&self) -> NewCampaignLink {
        let (event_id, production_id) = match self.target.split_once(':') {
            Some(("event", id)) => (Some(EventId::from_db(id.to_string())), None),
            Some(("production", id)) => (None, Some(ProductionId::from_db(id.to_string()))),
            _ => (None, None),
        };
        NewCampaignLink {
            name: self.name.clone(),
            event_id,
            production_id,
            code: self.code.clone(),
        }
    }

    pub fn selected(&self, value: &str) -> &'static str {
        if self.target == value {
            "selected"
        } else {
            ""
        }
    }
}

/// A button's form: only the CSRF token, which [`CsrfForm`] checks.
#[derive(Debug, Default, Deserialize)]
struct Button {}

fn campaign_id(ui: &Ui, raw: &str) -> Result<CampaignId, PageError> {
    CampaignId::parse(raw).map_err(|_| ui.error(Error::NotFound("campaign")))
}

async fn load(
    state: &AppState,
    ui: &Ui,
    id: &CampaignId,
    form: LinkForm,
    errors: FormErrors,
) -> Result<Links, PageError> {
    let org = &ui.caller.org;
    let campaign = CampaignService::new(state.db.clone())
        .get(org, id)
        .await
        .map_err(|e| ui.error(e))?;
    let links = CampaignLinkService::new(state.db.clone())
        .list(org, id, &state.settings.public_url)
        .await
        .map_err(|e| ui.error(e))?;
    let catalog = CatalogService::new(state.db.clone());
    let mut targets = Vec::new();
    for event in &campaign.event_ids {
        if let Ok(event) = catalog.event(org, event).await {
            targets.push(Target {
                value: format!("event:{}", event.id),
                label: ui.lang.t1(
                    "campaign-links-event",
                    "name",
                    format!(
                        "{} {}",
                        event.title,
                        event.starts_at.format("%Y-%m-%d %H:%M")
                    ),
                ),
            });
        }
    }
    for production in &campaign.production_ids {
        if let Ok(production) = catalog.production(org, production).await {
            targets.push(Target {
                value: format!("production:{}", production.id),
                label: ui
                    .lang
                    .t1("campaign-links-production", "name", &production.name),
            });
        }
    }
    Ok(Links {
        campaign,
        links,
        targets,
        form,
        errors,
    })
}

/// The section (htmx) or the page (no script).
async fn section(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = campaign_id(&ui, &id)?;
    let view = load(&state, &ui, &id, LinkForm::default(), FormErrors::default()).await?;
    Ok(page_or_partial(
        ui,
        view,
        |ui, view| LinksPartial { ui, view },
        |ui, view| LinksPage { ui, view },
    ))
}

async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<LinkForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = campaign_id(&ui, &id)?;
    let created = CampaignLinkService::new(state.db.clone())
        .create(&ui.caller.org, &id, form.link(), &state.settings.public_url)
        .await;
    let errors = match created {
        Ok(_) => return Ok(Redirect::to(&format!("/campaigns/{id}#links")).into_response()),
        Err(err @ Error::Validation { .. }) => FormErrors::from_error(ui.lang, &err),
        Err(err) => return Err(ui.error(err)),
    };
    let view = load(&state, &ui, &id, form, errors.clone()).await?;
    Ok(with_status(&errors, LinksPage { ui, view }))
}

async fn delete(
    State(state): State<AppState>,
    Path((id, link)): Path<(String, String)>,
    CsrfForm { ui, .. }: CsrfForm<Button>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = campaign_id(&ui, &id)?;
    let link =
        CampaignLinkId::parse(&link).map_err(|_| ui.error(Error::NotFound("campaign link")))?;
    CampaignLinkService::new(state.db.clone())
        .delete(&ui.caller.org, &id, &link)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to(&format!("/campaigns/{id}#links")).into_response())
}
