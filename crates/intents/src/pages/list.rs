//! The list of intents: filtered by status (expired ones stay, with a Reopen button on their
//! page) and by event, counted per status, a page at a time; with an event chosen, that event's
//! default strategy as a small form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_core::http::PageParams;
use fullhouse_core::{Error, OrgId, Permission, Result};
use fullhouse_ticketing::model::catalog::{Event, EventFilter};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::EventId;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;

use super::{status_label, strategy_label, Names};
use crate::model::{EventDefaults, Intent, IntentStatus, Strategy};
use crate::service::{IntentQuery, Intents};
use crate::store::intents;

/// The list's filters as the address carries them (blank: any).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    page: String,
    /// Set after the event's defaults were saved.
    #[serde(default)]
    saved: String,
}

/// One status tab: its name, how many intents of the chosen event have it, its address.
struct StatusTab {
    value: &'static str,
    label: String,
    count: u64,
    href: String,
    current: bool,
}

/// One line of the list.
struct Row {
    intent: Intent,
    customer: String,
    event: String,
    status: String,
    status_class: &'static str,
    strategy: String,
    deadline: String,
}

/// The default-strategy form of the chosen event.
struct DefaultsForm {
    event: Event,
    strategy: String,
    pay_days: String,
    remind_days: String,
    errors: FormErrors,
    saved: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/list.html")]
struct ListPage {
    ui: Ui,
    rows: Vec<Row>,
    tabs: Vec<StatusTab>,
    events: Vec<Event>,
    event_id: String,
    status: String,
    total: u64,
    page: u64,
    pages: u64,
    defaults: Option<DefaultsForm>,
    strategies: Vec<(&'static str, String)>,
}

impl ListPage {
    /// The address of page `page` with the same filters.
    fn page_href(&self, page: u64) -> String {
        list_href(&self.status, &self.event_id, page)
    }
}

fn list_href(status: &str, event: &str, page: u64) -> String {
    let mut params = Vec::new();
    if !status.is_empty() {
        params.push(format!("status={status}"));
    }
    if !event.is_empty() {
        params.push(format!("event_id={event}"));
    }
    if page > 1 {
        params.push(format!("page={page}"));
    }
    if params.is_empty() {
        "/intents".to_string()
    } else {
        format!("/intents?{}", params.join("&"))
    }
}

/// The organization's events, soonest first (those to come before those past).
pub(super) async fn events_in_date_order(
    db: &fullhouse_core::Db,
    org: &OrgId,
    from: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Vec<Event>> {
    let filter = EventFilter {
        from,
        ..EventFilter::default()
    };
    let mut events = CatalogService::new(db.clone())
        .list_events(
            org,
            &filter,
            &PageParams {
                cursor: None,
                limit: Some(PageParams::MAX_LIMIT),
            },
        )
        .await?
        .items;
    events.sort_by_key(|e| e.starts_at);
    Ok(events)
}

/// How many intents of `event` (all events: `None`) have each status.
async fn counts(
    intents_service: &Intents,
    org: &OrgId,
    event: Option<&EventId>,
) -> Result<Vec<(IntentStatus, u64)>> {
    let mut counts = Vec::new();
    for status in IntentStatus::ALL {
        let mut find = intents::Entity::find()
            .filter(intents::Column::OrganizationId.eq(org.as_str()))
            .filter(intents::Column::Status.eq(status.as_str()));
        if let Some(event) = event {
            find = find.filter(intents::Column::EventId.eq(event.as_str()));
        }
        counts.push((status, find.count(intents_service.db().reader()).await?));
    }
    Ok(counts)
}

pub(super) fn strategy_choices(ui: &Ui) -> Vec<(&'static str, String)> {
    Strategy::ALL
        .into_iter()
        .map(|s| (s.as_str(), strategy_label(ui.lang, s)))
        .collect()
}

pub(super) async fn list(
    Extension(service): Extension<Intents>,
    ui: Ui,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    render(&service, ui, query, None).await
}

async fn render(
    service: &Intents,
    ui: Ui,
    query: ListQuery,
    refused: Option<(DefaultsInput, Error)>,
) -> Result<Response, PageError> {
    let org = ui.caller.org.clone();
    let status = IntentStatus::parse(&query.status);
    let event = match query.event_id.trim() {
        "" => None,
        id => Some(EventId::parse(id).map_err(|e| ui.error(e))?),
    };
    let listing = service
        .list(
            &org,
            &IntentQuery {
                status,
                event_id: event.clone(),
                page: query.page.trim().parse().ok(),
                ..IntentQuery::default()
            },
        )
        .await
        .map_err(|e| ui.error(e))?;
    let customers: Vec<_> = listing
        .intents
        .iter()
        .map(|i| i.customer_id.clone())
        .collect();
    let event_ids: Vec<_> = listing.intents.iter().map(|i| i.event_id.clone()).collect();
    let names = Names::load(service.db(), &org, &customers, &event_ids)
        .await
        .map_err(|e| ui.error(e))?;
    let rows = listing
        .intents
        .into_iter()
        .map(|intent| {
            let found = names.event(&intent.event_id);
            let zone = found.map_or("UTC", |e| e.venue_timezone.as_str());
            Row {
                customer: names.customer(&intent.customer_id),
                event: found.map_or_else(
                    || intent.event_id.to_string(),
                    |e| format!("{} · {}", e.title, ui.lang.local_time(e.starts_at, zone)),
                ),
                status: status_label(ui.lang, intent.status),
                status_class: super::status_class(intent.status),
                strategy: strategy_label(ui.lang, intent.strategy),
                // Only a pending intent's deadline still means something.
                deadline: intent
                    .pay_by
                    .filter(|_| intent.status == IntentStatus::Pending)
                    .map(|at| ui.lang.local_time(at, zone))
                    .unwrap_or_default(),
                intent,
            }
        })
        .collect();
    let status_value = status.map(IntentStatus::as_str).unwrap_or_default();
    let event_value = event.as_ref().map(ToString::to_string).unwrap_or_default();
    let tabs = counts(service, &org, event.as_ref())
        .await
        .map_err(|e| ui.error(e))?
        .into_iter()
        .map(|(s, count)| StatusTab {
            value: s.as_str(),
            label: status_label(ui.lang, s),
            count,
            href: list_href(s.as_str(), &event_value, 1),
            current: status == Some(s),
        })
        .collect();
    let events = events_in_date_order(service.db(), &org, None)
        .await
        .map_err(|e| ui.error(e))?;
    let defaults = match &event {
        Some(id) => {
            let chosen = events.iter().find(|e| &e.id == id).cloned();
            match chosen {
                Some(chosen) => Some(
                    defaults_form(service, &ui, chosen, refused, !query.saved.is_empty()).await?,
                ),
                None => None,
            }
        }
        None => None,
    };
    let strategies = strategy_choices(&ui);
    let page = ListPage {
        rows,
        tabs,
        events,
        event_id: event_value,
        status: status_value.to_string(),
        total: listing.total,
        page: listing.page,
        pages: listing.pages,
        defaults,
        strategies,
        ui,
    };
    let failed = page.defaults.as_ref().is_some_and(|d| !d.errors.is_empty());
    if failed {
        Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    } else {
        Ok(page.into_response())
    }
}

async fn defaults_form(
    service: &Intents,
    ui: &Ui,
    event: Event,
    refused: Option<(DefaultsInput, Error)>,
    saved: bool,
) -> Result<DefaultsForm, PageError> {
    if let Some((input, err)) = refused {
        return Ok(DefaultsForm {
            event,
            strategy: input.strategy,
            pay_days: input.pay_days,
            remind_days: input.remind_days,
            errors: FormErrors::from_error(ui.lang, &err),
            saved: false,
        });
    }
    let current: EventDefaults = service
        .event_defaults(&ui.caller.org, &event.id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(DefaultsForm {
        event,
        strategy: current.strategy.as_str().to_string(),
        pay_days: current.pay_days.to_string(),
        remind_days: current.remind_days.to_string(),
        errors: FormErrors::default(),
        saved,
    })
}

/// An event's default strategy as posted.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct DefaultsInput {
    #[serde(default)]
    strategy: String,
    #[serde(default)]
    pay_days: String,
    #[serde(default)]
    remind_days: String,
}

impl DefaultsInput {
    fn parse(&self) -> Result<EventDefaults> {
        let strategy = Strategy::parse(&self.strategy).ok_or_else(|| {
            Error::invalid("strategy", "choose how the event's intents are completed")
        })?;
        let days = |field: &str, value: &str| {
            value
                .trim()
                .parse::<u32>()
                .map_err(|_| Error::invalid(field, "give a whole number of days"))
        };
        Ok(EventDefaults {
            strategy,
            pay_days: days("pay_days", &self.pay_days)?,
            remind_days: days("remind_days", &self.remind_days)?,
        })
    }
}

/// Saves an event's default strategy, then shows the list of that event's intents again.
pub(super) async fn save_defaults(
    Extension(service): Extension<Intents>,
    Path(event): Path<String>,
    CsrfForm { ui, form }: CsrfForm<DefaultsInput>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let event = EventId::parse(&event).map_err(|e| ui.error(e))?;
    let saved = match form.parse() {
        Ok(defaults) => service
            .set_event_defaults(&ui.caller.org, &event, defaults)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/intents?event_id={event}&saved=1")).into_response()),
        Err(err @ Error::Validation { .. }) => {
            let query = ListQuery {
                event_id: event.to_string(),
                ..ListQuery::default()
            };
            render(&service, ui, query, Some((form, err))).await
        }
        Err(err) => Err(ui.error(err)),
    }
}
