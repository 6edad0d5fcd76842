//! Promote → Campaigns: the list, a form to create or change a campaign (audiences, events or
//! productions, effects, window, limits, counting), pause and resume, and the redemption report
//! per code (used, remaining, orders).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::{Error, Permission};
use fullhouse_ticketing::model::catalog::{Event, EventFilter, Production};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use crate::campaigns::model::{CampaignForm, CampaignPatch, CampaignReport, CampaignStatus};
use crate::campaigns::{Campaign, CampaignId, CampaignService};
use crate::{Audience, AudienceService};

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/campaigns", get(list).post(create))
        .route("/campaigns/new", get(new_form))
        .route("/campaigns/{id}", get(detail).post(save))
        .route("/campaigns/{id}/status", post(set_status))
}

fn service(state: &AppState) -> CampaignService {
    CampaignService::new(state.db.clone())
}

fn campaign_id(ui: &Ui, raw: &str) -> Result<CampaignId, PageError> {
    CampaignId::parse(raw).map_err(|_| ui.error(Error::NotFound("campaign")))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/campaigns/list.html")]
struct ListPage {
    ui: Ui,
    campaigns: Vec<Campaign>,
}

async fn list(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let params = PageParams {
        cursor: None,
        limit: Some(PageParams::MAX_LIMIT),
    };
    let campaigns = service(&state)
        .list(&ui.caller.org, &params)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    Ok(ListPage { ui, campaigns }.into_response())
}

/// What the form offers to choose from.
pub struct Choices {
    pub audiences: Vec<Audience>,
    pub productions: Vec<Production>,
    pub events: Vec<Event>,
}

async fn choices(state: &AppState, ui: &Ui) -> Result<Choices, PageError> {
    let all = PageParams {
        cursor: None,
        limit: Some(PageParams::MAX_LIMIT),
    };
    let audiences = AudienceService::new(state.db.clone())
        .list(&ui.caller.org, None, &all)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    let catalog = CatalogService::new(state.db.clone());
    let productions = catalog
        .list_productions(&ui.caller.org, &all)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    let upcoming = EventFilter {
        from: Some(Utc::now()),
        ..EventFilter::default()
    };
    let events = catalog
        .list_events(&ui.caller.org, &upcoming, &all)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    Ok(Choices {
        audiences,
        productions,
        events,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/campaigns/form.html")]
struct FormPage {
    ui: Ui,
    campaign: Option<Campaign>,
    report: Option<CampaignReport>,
    form: CampaignForm,
    choices: Choices,
    errors: FormErrors,
}

async fn new_form(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let choices = choices(&state, &ui).await?;
    let form = CampaignForm::start();
    Ok(FormPage {
        ui,
        campaign: None,
        report: None,
        form,
        choices,
        errors: FormErrors::default(),
    }
    .into_response())
}

async fn create(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<CampaignForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let created = match form.definition() {
        Ok(new) => service(&state).create(&ui.caller.org, new).await,
        Err(err) => Err(err),
    };
    let errors = match created {
        Ok(campaign) => {
            return Ok(Redirect::to(&format!("/campaigns/{}", campaign.id)).into_response())
        }
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            FormErrors::from_error(ui.lang, &err)
        }
        Err(err) => return Err(ui.error(err)),
    };
    let choices = choices(&state, &ui).await?;
    Ok(with_status(
        &errors,
        FormPage {
            ui,
            campaign: None,
            report: None,
            form,
            choices,
            errors: errors.clone(),
        },
    ))
}

async fn detail(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = campaign_id(&ui, &id)?;
    let service = service(&state);
    let campaign = service
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let report = service
        .report(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let choices = choices(&state, &ui).await?;
    let form = CampaignForm::from_campaign(&campaign);
    Ok(FormPage {
        ui,
        campaign: Some(campaign),
        report: Some(report),
        form,
        choices,
        errors: FormErrors::default(),
    }
    .into_response())
}

async fn save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<CampaignForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = campaign_id(&ui, &id)?;
    let service = service(&state);
    let saved = match form.patch() {
        Ok(patch) => service.update(&ui.caller.org, &id, patch).await,
        Err(err) => Err(err),
    };
    let errors = match saved {
        Ok(_) => return Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            FormErrors::from_error(ui.lang, &err)
        }
        Err(err) => return Err(ui.error(err)),
    };
    let campaign = service
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let report = service
        .report(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let choices = choices(&state, &ui).await?;
    Ok(with_status(
        &errors,
        FormPage {
            ui,
            campaign: Some(campaign),
            report: Some(report),
            form,
            choices,
            errors: errors.clone(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<StatusForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = campaign_id(&ui, &id)?;
    let status = match form.status.as_str() {
        "active" => CampaignStatus::Active,
        "paused" => CampaignStatus::Paused,
        other => {
            return Err(ui.error(Error::invalid(
                "status",
                format!("`{other}` is neither active nor paused"),
            )))
        }
    };
    service(&state)
        .update(
            &ui.caller.org,
            &id,
            CampaignPatch {
                status: Some(status),
                ..CampaignPatch::default()
            },
        )
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}
