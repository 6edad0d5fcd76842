//! The campaign form: new, saved (with its report above), refused (every problem beside its
//! field), and its live summary.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Error, Permission};
use fullhouse_ticketing::model::catalog::{Event, EventFilter, Production};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::{EventId, TicketTypeId};
use fullhouse_web::{CsrfForm, PageError, Ui};
use serde::Deserialize;

use super::messages::Messages;
use super::report::ReportView;
use super::{campaign_id, service, summary};
use crate::campaigns::model::CampaignForm;
use crate::campaigns::Campaign;
use crate::{Audience, AudienceService};

/// A ticket type offered in the form, by name with its event.
pub struct TicketChoice {
    pub id: String,
    pub name: String,
    /// The event's title and day.
    pub event: String,
}

/// What the form offers to choose from: upcoming events in date order, and whatever the
/// campaign already names (a past event stays ticked rather than silently dropped on save).
pub struct Choices {
    pub audiences: Vec<Audience>,
    pub productions: Vec<Production>,
    pub events: Vec<Event>,
    /// Hidden ticket types (what a code can unlock) of those events.
    pub ticket_types: Vec<TicketChoice>,
}

async fn choices(state: &AppState, ui: &Ui, form: &CampaignForm) -> Result<Choices, PageError> {
    let org = &ui.caller.org;
    let all = PageParams {
        cursor: None,
        limit: Some(PageParams::MAX_LIMIT),
    };
    let audiences = AudienceService::new(state.db.clone())
        .list(org, None, &all)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    let catalog = CatalogService::new(state.db.clone());
    let mut productions = catalog
        .list_productions(org, &all)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    productions.sort_by_key(|p| p.name.to_lowercase());
    let upcoming = EventFilter {
        from: Some(Utc::now()),
        ..EventFilter::default()
    };
    let mut events = catalog
        .list_events(org, &upcoming, &all)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    for chosen in &form.event_ids {
        if events.iter().any(|e| e.id.as_str() == chosen) {
            continue;
        }
        if let Ok(id) = EventId::parse(chosen) {
            if let Ok(event) = catalog.event(org, &id).await {
                events.push(event);
            }
        }
    }
    events.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
    let mut ticket_types = Vec::new();
    for event in &events {
        let when = summary::day(ui.lang, event.starts_at, ui.timezone);
        let types = catalog
            .list_ticket_types(org, &event.id, &all)
            .await
            .map_err(|e| ui.error(e))?
            .items;
        ticket_types.extend(
            types
                .into_iter()
                .filter(|t| t.hidden || form.checked("unlock_ticket_types", t.id.as_str()))
                .map(|t| TicketChoice {
                    id: t.id.to_string(),
                    name: t.name,
                    event: format!("{} · {when}", event.title),
                }),
        );
    }
    for chosen in &form.unlock_ticket_types {
        if ticket_types.iter().any(|t| &t.id == chosen) {
            continue;
        }
        if let Ok(id) = TicketTypeId::parse(chosen) {
            if let Ok(found) = catalog.ticket_type(org, &id).await {
                ticket_types.push(TicketChoice {
                    id: found.id.to_string(),
                    name: found.name,
                    event: String::new(),
                });
            }
        }
    }
    Ok(Choices {
        audiences,
        productions,
        events,
        ticket_types,
    })
}

async fn currency(state: &AppState, ui: &Ui) -> Result<String, PageError> {
    Ok(TenancyService::new(state.db.clone())
        .organization(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?
        .currency)
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/campaigns/form.html")]
struct FormPage {
    ui: Ui,
    campaign: Option<Campaign>,
    report: Option<ReportView>,
    form: CampaignForm,
    choices: Choices,
    errors: Messages,
    currency: String,
    summary: String,
    /// What was just done (`created`, `saved`, `paused`, `resumed`), said once above the form.
    done: Option<String>,
}

impl FormPage {
    /// The unit beside the discount value: `%`, or the currency.
    fn unit(&self) -> &str {
        if self.form.discount_kind == "percent" {
            "%"
        } else {
            &self.currency
        }
    }
}

/// A page with the form, and the report when the campaign exists.
async fn page(
    state: &AppState,
    ui: Ui,
    campaign: Option<Campaign>,
    form: CampaignForm,
    errors: Messages,
    done: Option<String>,
) -> Result<Response, PageError> {
    let choices = choices(state, &ui, &form).await?;
    let currency = currency(state, &ui).await?;
    let report = match &campaign {
        Some(c) => Some(ReportView::load(state, &ui, &c.id).await?),
        None => None,
    };
    let summary = summary::sentence(ui.lang, ui.timezone, &currency, &form, &choices);
    let refused = !errors.is_empty();
    let page = FormPage {
        ui,
        campaign,
        report,
        form,
        choices,
        errors,
        currency,
        summary,
        done,
    };
    Ok(if refused {
        // Refused input answers 422, so scripts and tests can tell.
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page.into_response()
    })
}

pub(super) async fn new_form(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    page(
        &state,
        ui,
        None,
        CampaignForm::start(),
        Messages::default(),
        None,
    )
    .await
}

pub(super) async fn create(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<CampaignForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let errors = match form.check(ui.timezone) {
        Err(problems) => Messages::from_problems(ui.lang, &problems),
        Ok(new) => match service(&state).create(&ui.caller.org, new).await {
            Ok(campaign) => {
                return Ok(
                    Redirect::to(&format!("/campaigns/{}?done=created", campaign.id))
                        .into_response(),
                )
            }
            Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
                Messages::from_error(ui.lang, &err)
            }
            Err(err) => return Err(ui.error(err)),
        },
    };
    page(&state, ui, None, form, errors, None).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DetailQuery {
    #[serde(default)]
    done: Option<String>,
}

pub(super) async fn detail(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = campaign_id(&ui, &id)?;
    let campaign = service(&state)
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let form = CampaignForm::from_campaign(&campaign, ui.timezone);
    let done = query
        .done
        .filter(|d| ["created", "saved", "paused", "resumed"].contains(&d.as_str()));
    page(&state, ui, Some(campaign), form, Messages::default(), done).await
}

pub(super) async fn save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<CampaignForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = campaign_id(&ui, &id)?;
    let service = service(&state);
    let errors = match form.patch(ui.timezone) {
        Err(problems) => Messages::from_problems(ui.lang, &problems),
        Ok(patch) => match service.update(&ui.caller.org, &id, patch).await {
            Ok(_) => {
                return Ok(Redirect::to(&format!("/campaigns/{id}?done=saved")).into_response())
            }
            Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
                Messages::from_error(ui.lang, &err)
            }
            Err(err) => return Err(ui.error(err)),
        },
    };
    let campaign = service
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    page(&state, ui, Some(campaign), form, errors, None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/campaigns/_summary.html")]
struct SummaryPartial {
    summary: String,
}

/// The summary sentence for the form as it stands (htmx posts the form on every change).
pub(super) async fn summary(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<CampaignForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let choices = choices(&state, &ui, &form).await?;
    let currency = currency(&state, &ui).await?;
    let summary = summary::sentence(ui.lang, ui.timezone, &currency, &form, &choices);
    Ok(fullhouse_web::vary_on_htmx(
        SummaryPartial { summary }.into_response(),
    ))
}
