//! Sales → Events: the list (search by name, upcoming or past, in date order with sold /
//! capacity and revenue, paged both ways) and an event's page with its figures, ticket types
//! and what can be done for it (box office, shop, campaigns, ticket holders' export).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::{OrgId, Permission, Result};
use fullhouse_web::listing::{parse_sort, ListLinks};
use fullhouse_web::{page_or_partial, PageError, Ui};
use serde::Deserialize;

use crate::model::catalog::{Event, EventFilter, EventStatus, TicketType};
use crate::service::figures::EventFigures;
use crate::service::{CatalogService, FiguresService};
use crate::EventId;

/// Rows per page of the list.
const PAGE_SIZE: u64 = 25;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/events", get(list))
        .route("/events/{id}", get(detail))
        .route(
            "/events/{id}/holders.csv",
            get(super::event_export::holders_csv),
        )
}

#[derive(Debug, Default, Deserialize)]
struct EventsQuery {
    #[serde(default)]
    q: String,
    /// `upcoming` (the default), `past` or `all`.
    #[serde(default)]
    when: String,
    /// `date` or `-date` (latest first); upcoming and all events default to the earliest
    /// first, past ones to the latest first.
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
}

/// An event as a list shows it: with its figures and whether it is over.
pub struct EventRow {
    pub event: Event,
    pub figures: EventFigures,
    /// It has ended (or, without an end time, started) before now.
    pub ended: bool,
}

/// The events with their figures, in the same order.
pub(crate) async fn event_rows(
    state: &AppState,
    org: &OrgId,
    events: Vec<Event>,
    now: DateTime<Utc>,
) -> Result<Vec<EventRow>> {
    let ids: Vec<EventId> = events.iter().map(|e| e.id.clone()).collect();
    let mut figures = FiguresService::new(state.db.clone())
        .events(org, &ids)
        .await?;
    Ok(events
        .into_iter()
        .map(|event| EventRow {
            figures: figures.remove(event.id.as_str()).unwrap_or_default(),
            ended: has_ended(&event, now),
            event,
        })
        .collect())
}

/// An event is over once its end (or, without one, its start) has passed.
pub fn has_ended(event: &Event, now: DateTime<Utc>) -> bool {
    event.ends_at.unwrap_or(event.starts_at) < now
}

/// What the list shows; the full page and the htmx partial render the same view.
pub struct EventList {
    pub q: String,
    pub when: &'static str,
    pub rows: Vec<EventRow>,
    /// Events matching the search, over every page.
    pub total: i64,
    pub links: ListLinks,
    pub searched: bool,
    /// The organization's currency, for the revenue column.
    pub currency: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/events/list.html")]
struct EventsPage {
    ui: Ui,
    view: EventList,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/events/_results.html")]
struct EventResults {
    ui: Ui,
    view: EventList,
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<EventsQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let when = match query.when.as_str() {
        "past" => "past",
        "all" => "all",
        _ => "upcoming",
    };
    let sort = match query.sort.as_str() {
        "date" => "date",
        "-date" => "-date",
        _ if when == "past" => "-date",
        _ => "date",
    };
    let now = Utc::now();
    let q = query.q.trim().to_string();
    let filter = EventFilter {
        from: (when == "upcoming").then_some(now),
        to: (when == "past").then_some(now),
        q: Some(q.clone()).filter(|q| !q.is_empty()),
        ..EventFilter::default()
    };
    let org = &ui.caller.org;
    let (_, latest_first) = parse_sort(sort);
    let listing = CatalogService::new(state.db.clone())
        .browse_events(
            org,
            &filter,
            latest_first,
            Some(query.cursor.as_str()).filter(|c| !c.is_empty()),
            PAGE_SIZE,
        )
        .await
        .map_err(|e| ui.error(e))?;
    let currency = state
        .tenancy()
        .organization(org)
        .await
        .map_err(|e| ui.error(e))?
        .currency;
    let rows = event_rows(&state, org, listing.items, now)
        .await
        .map_err(|e| ui.error(e))?;
    let links = ListLinks::new("/events", &[("q", &q), ("when", when)], sort)
        .with_cursors(listing.prev_cursor, listing.next_cursor);
    let view = EventList {
        searched: !q.is_empty(),
        q,
        when,
        rows,
        total: i64::try_from(listing.total).unwrap_or(i64::MAX),
        links,
        currency,
    };
    Ok(page_or_partial(
        ui,
        view,
        |ui, view| EventResults { ui, view },
        |ui, view| EventsPage { ui, view },
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/events/detail.html")]
struct EventPage {
    ui: Ui,
    event: Event,
    ticket_types: Vec<TicketType>,
    figures: EventFigures,
    ended: bool,
    currency: String,
    /// The organization's shop address (`/shop/<slug>`).
    shop: String,
}

impl EventPage {
    /// Tickets can still be sold for it: scheduled and not over.
    fn on_sale(&self) -> bool {
        self.event.status == EventStatus::Scheduled && !self.ended
    }
}

async fn detail(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = EventId::parse(&id).map_err(|e| ui.error(e))?;
    let catalog = CatalogService::new(state.db.clone());
    let org = &ui.caller.org;
    let event = catalog.event(org, &id).await.map_err(|e| ui.error(e))?;
    let params = PageParams {
        cursor: None,
        limit: Some(PageParams::MAX_LIMIT),
    };
    let ticket_types = catalog
        .list_ticket_types(org, &id, &params)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    let organization = state
        .tenancy()
        .organization(org)
        .await
        .map_err(|e| ui.error(e))?;
    let figures = FiguresService::new(state.db.clone())
        .events(org, std::slice::from_ref(&id))
        .await
        .map_err(|e| ui.error(e))?
        .remove(id.as_str())
        .unwrap_or_default();
    Ok(EventPage {
        ended: has_ended(&event, Utc::now()),
        ui,
        event,
        ticket_types,
        figures,
        currency: organization.currency,
        shop: format!("/shop/{}", organization.slug),
    }
    .into_response())
}
