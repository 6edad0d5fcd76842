//! Sales → Events: the list (search by name, upcoming or past, cursor paging) and an event's
//! page with its ticket types, sold and available.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::{Permission, Result};
use fullhouse_web::layout::next_link;
use fullhouse_web::{page_or_partial, PageError, Ui};
use serde::Deserialize;

use crate::model::catalog::{Event, EventFilter, TicketType};
use crate::service::CatalogService;
use crate::EventId;

/// Rows per page of the list.
const PAGE_SIZE: u64 = 25;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/events", get(list))
        .route("/events/{id}", get(detail))
}

#[derive(Debug, Default, Deserialize)]
struct EventsQuery {
    #[serde(default)]
    q: String,
    /// `upcoming` (the default), `past` or `all`.
    #[serde(default)]
    when: String,
    #[serde(default)]
    cursor: String,
}

/// What the list shows; the full page and the htmx partial render the same view.
pub struct EventList {
    pub q: String,
    pub when: &'static str,
    pub events: Vec<Event>,
    pub next: Option<String>,
    pub searched: bool,
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
    let now = Utc::now();
    let q = query.q.trim().to_string();
    let filter = EventFilter {
        from: (when == "upcoming").then_some(now),
        to: (when == "past").then_some(now),
        q: Some(q.clone()).filter(|q| !q.is_empty()),
        ..EventFilter::default()
    };
    let params = PageParams {
        cursor: Some(query.cursor).filter(|c| !c.is_empty()),
        limit: Some(PAGE_SIZE),
    };
    let page = CatalogService::new(state.db.clone())
        .list_events(&ui.caller.org, &filter, &params)
        .await
        .map_err(|e| ui.error(e))?;

    let view = EventList {
        next: page
            .next_cursor
            .map(|c| next_link("/events", &[("q", &q), ("when", when)], &c)),
        searched: !q.is_empty(),
        q,
        when,
        events: page.items,
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
    sold: i64,
    /// Sum of the capacities, when every ticket type has one.
    capacity: Option<i64>,
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
    let sold = ticket_types.iter().map(|t| t.sold).sum();
    let capacity = ticket_types
        .iter()
        .map(|t| t.capacity)
        .sum::<Option<i64>>()
        .filter(|_| !ticket_types.is_empty());
    Ok(EventPage {
        ui,
        event,
        ticket_types,
        sold,
        capacity,
    }
    .into_response())
}
