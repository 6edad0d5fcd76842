//! Promote → Campaigns: the list, a form to create or change a campaign (audiences, events or
//! productions, effects, window, limits, counting), pause and resume, and the redemption report
//! per code (used, remaining, orders).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use chrono::{DateTime, NaiveDateTime, Utc};
use fullhouse_audiences::campaigns::model::{
    CampaignPatch, CampaignReport, CampaignStatus, DiscountRule, Effects, LimitScope, NewCampaign,
    UseCounting,
};
use fullhouse_audiences::campaigns::{Campaign, CampaignId, CampaignService};
use fullhouse_audiences::{Audience, AudienceId, AudienceService};
use fullhouse_core::http::AppState;
use fullhouse_core::http::PageParams;
use fullhouse_core::{Error, Permission};
use fullhouse_ticketing::model::catalog::{Event, EventFilter, Production};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::{EventId, ProductionId, TicketTypeId};
use serde::Deserialize;

use super::layout::{with_status, FormErrors, PageError, Ui};

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

/// The campaign form as posted: checkboxes repeat their names (`audience_ids=a&audience_ids=b`).
#[derive(Debug, Default, Deserialize)]
struct CampaignForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    public_label: String,
    #[serde(default)]
    audience_ids: Vec<String>,
    #[serde(default)]
    event_ids: Vec<String>,
    #[serde(default)]
    production_ids: Vec<String>,
    /// `none`, `percent`, `amount_off` or `fixed_price`.
    #[serde(default)]
    discount_kind: String,
    /// Percent, or an amount in major units (125.50).
    #[serde(default)]
    discount_value: String,
    /// Hidden ticket type ids the code unlocks, separated by spaces or commas.
    #[serde(default)]
    unlock_ticket_types: String,
    #[serde(default)]
    unlock_member_category: Option<String>,
    #[serde(default)]
    unlock_member_seat: Option<String>,
    #[serde(default)]
    loyalty: Option<String>,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
    #[serde(default)]
    max_tickets_per_order: String,
    #[serde(default)]
    limit_scope: String,
    #[serde(default)]
    counting: String,
}

impl CampaignForm {
    fn from_campaign(c: &Campaign) -> Self {
        let (discount_kind, discount_value) = match c.effects.discount {
            None => ("none".to_string(), String::new()),
            Some(DiscountRule::Percent { percent }) => ("percent".into(), format!("{percent}")),
            Some(DiscountRule::AmountOff { amount_minor }) => {
                ("amount_off".into(), major(amount_minor))
            }
            Some(DiscountRule::FixedPrice { price_minor }) => {
                ("fixed_price".into(), major(price_minor))
            }
        };
        let local = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        CampaignForm {
            csrf_token: String::new(),
            name: c.name.clone(),
            public_label: c.public_label.clone(),
            audience_ids: c.audience_ids.iter().map(|a| a.to_string()).collect(),
            event_ids: c.event_ids.iter().map(|e| e.to_string()).collect(),
            production_ids: c.production_ids.iter().map(|p| p.to_string()).collect(),
            discount_kind,
            discount_value,
            unlock_ticket_types: c
                .effects
                .unlock_ticket_types
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            unlock_member_category: c.effects.unlock_member_category.then(|| "on".into()),
            unlock_member_seat: c.effects.unlock_member_seat.then(|| "on".into()),
            loyalty: c.effects.loyalty.then(|| "on".into()),
            valid_from: local(c.valid_from),
            valid_until: local(c.valid_until),
            max_tickets_per_order: c
                .max_tickets_per_order
                .map(|n| n.to_string())
                .unwrap_or_default(),
            limit_scope: c.limit_scope.as_str().into(),
            counting: c.counting.as_str().into(),
        }
    }

    fn checked(&self, list: &str, id: &str) -> bool {
        let values = match list {
            "audience_ids" => &self.audience_ids,
            "event_ids" => &self.event_ids,
            _ => &self.production_ids,
        };
        values.iter().any(|v| v == id)
    }

    /// The definition the form describes; problems of the form itself (a number that is not
    /// one) come back as field errors.
    fn definition(&self) -> Result<NewCampaign, Error> {
        let audience_ids = parse_all("audience_ids", &self.audience_ids, AudienceId::parse)?;
        let event_ids = parse_all("event_ids", &self.event_ids, EventId::parse)?;
        let production_ids =
            parse_all("production_ids", &self.production_ids, ProductionId::parse)?;
        let value = self.discount_value.trim().replace(',', ".");
        let number = |v: &str| {
            v.parse::<f64>()
                .map_err(|_| Error::invalid("discount_value", "is not a number"))
        };
        let minor = |v: &str| number(v).map(|n| (n * 100.0).round() as i64);
        let discount = match self.discount_kind.as_str() {
            "percent" => Some(DiscountRule::Percent {
                percent: number(&value)?,
            }),
            "amount_off" => Some(DiscountRule::AmountOff {
                amount_minor: minor(&value)?,
            }),
            "fixed_price" => Some(DiscountRule::FixedPrice {
                price_minor: minor(&value)?,
            }),
            _ => None,
        };
        let unlock_ticket_types = self
            .unlock_ticket_types
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(|t| {
                TicketTypeId::parse(t).map_err(|_| {
                    Error::invalid(
                        "unlock_ticket_types",
                        format!("`{t}` is not a ticket type id"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let time = |field: &'static str, raw: &str| -> Result<Option<DateTime<Utc>>, Error> {
            if raw.trim().is_empty() {
                return Ok(None);
            }
            NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
                .map(|t| Some(t.and_utc()))
                .map_err(|_| Error::invalid(field, "is not a date and time"))
        };
        let max = self.max_tickets_per_order.trim();
        let max_tickets_per_order =
            if max.is_empty() {
                None
            } else {
                Some(max.parse::<u32>().map_err(|_| {
                    Error::invalid("max_tickets_per_order", "is not a whole number")
                })?)
            };
        Ok(NewCampaign {
            name: self.name.clone(),
            public_label: Some(self.public_label.clone()),
            audience_ids,
            event_ids,
            production_ids,
            effects: Effects {
                discount,
                discount_ticket_types: Vec::new(),
                unlock_ticket_types,
                unlock_member_category: self.unlock_member_category.is_some(),
                unlock_member_seat: self.unlock_member_seat.is_some(),
                loyalty: self.loyalty.is_some(),
            },
            valid_from: time("valid_from", &self.valid_from)?,
            valid_until: time("valid_until", &self.valid_until)?,
            max_tickets_per_order,
            limit_scope: if self.limit_scope == "across_events" {
                LimitScope::AcrossEvents
            } else {
                LimitScope::PerEvent
            },
            counting: Some(if self.counting == "per_order" {
                UseCounting::PerOrder
            } else {
                UseCounting::PerTicket
            }),
        })
    }
}

/// Ids from repeated form fields; one that is not an id is an error on `field`.
fn parse_all<T>(
    field: &'static str,
    raw: &[String],
    parse: fn(&str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    raw.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(|_| Error::invalid(field, format!("`{s}` is not an id"))))
        .collect()
}

fn major(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
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
    let form = CampaignForm {
        discount_kind: "percent".into(),
        limit_scope: "per_event".into(),
        counting: "per_ticket".into(),
        ..CampaignForm::default()
    };
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
    ui: Ui,
    Form(form): Form<CampaignForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
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
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<CampaignForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = campaign_id(&ui, &id)?;
    let service = service(&state);
    let saved = match form.definition() {
        Ok(new) => {
            let patch = CampaignPatch {
                name: Some(new.name),
                public_label: new.public_label,
                status: None,
                audience_ids: Some(new.audience_ids),
                event_ids: Some(new.event_ids),
                production_ids: Some(new.production_ids),
                effects: Some(new.effects),
                valid_from: Some(new.valid_from),
                valid_until: Some(new.valid_until),
                max_tickets_per_order: Some(new.max_tickets_per_order),
                limit_scope: Some(new.limit_scope),
                counting: new.counting,
            };
            service.update(&ui.caller.org, &id, patch).await
        }
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
    csrf_token: String,
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = campaign_id(&ui, &id)?;
    let status = if form.status == "paused" {
        CampaignStatus::Paused
    } else {
        CampaignStatus::Active
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
