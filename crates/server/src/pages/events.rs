//! Sales → Events: the list (search by name, upcoming or past, cursor paging) and an event's
//! page with its ticket types, sold and available.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use fullhouse_core::http::{AppState, Page, PageParams};
use fullhouse_core::{OrgId, Permission, Result};
use fullhouse_ticketing::model::catalog::{Event, EventFilter, TicketType};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::EventId;
use serde::Deserialize;

use super::layout::{next_link, vary_on_htmx, PageError, Ui};

/// Rows per page of the list.
const PAGE_SIZE: u64 = 25;
/// Events read per query while searching by name (the catalog has no name search yet).
const SCAN_BATCH: u64 = 500;
/// Batches read per request before the search offers "more" instead of reading on.
const SCAN_BATCHES: usize = 20;

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
    let filter = EventFilter {
        from: (when == "upcoming").then_some(now),
        to: (when == "past").then_some(now),
        ..EventFilter::default()
    };
    let q = query.q.trim().to_string();
    let cursor = Some(query.cursor).filter(|c| !c.is_empty());
    let catalog = CatalogService::new(state.db.clone());
    let page = find_events(&catalog, &ui.caller.org, &filter, &q, cursor)
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
    let response = if ui.htmx {
        EventResults { ui, view }.into_response()
    } else {
        EventsPage { ui, view }.into_response()
    };
    Ok(vary_on_htmx(response))
}

/// A page of events whose title, production or venue contains `q` (any case). The catalog
/// service filters by date but not by name, so a search reads the date-filtered events in
/// batches and keeps the matches; the cursor stays the id of the last event shown, so paging
/// works the same with or without a search.
async fn find_events(
    catalog: &CatalogService,
    org: &OrgId,
    filter: &EventFilter,
    q: &str,
    cursor: Option<String>,
) -> Result<Page<Event>> {
    if q.is_empty() {
        let params = PageParams {
            cursor,
            limit: Some(PAGE_SIZE),
        };
        return catalog.list_events(org, filter, &params).await;
    }
    let needle = q.to_lowercase();
    let matches = |e: &Event| {
        [&e.title, &e.production_name, &e.venue_name]
            .iter()
            .any(|text| text.to_lowercase().contains(&needle))
    };
    let limit = usize::try_from(PAGE_SIZE).unwrap_or(25);
    let mut found: Vec<Event> = Vec::new();
    let mut cursor = cursor;
    for _ in 0..SCAN_BATCHES {
        let params = PageParams {
            cursor: cursor.clone(),
            limit: Some(SCAN_BATCH),
        };
        let batch = catalog.list_events(org, filter, &params).await?;
        for event in batch.items {
            if matches(&event) {
                found.push(event);
                if found.len() > limit {
                    found.truncate(limit);
                    let next_cursor = found.last().map(|e| e.id.to_string());
                    return Ok(Page {
                        items: found,
                        next_cursor,
                    });
                }
            }
        }
        match batch.next_cursor {
            Some(next) => cursor = Some(next),
            None => {
                return Ok(Page {
                    items: found,
                    next_cursor: None,
                })
            }
        }
    }
    // Read enough for one request: "more" continues after the last event read.
    Ok(Page {
        items: found,
        next_cursor: cursor,
    })
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
