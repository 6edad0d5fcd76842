//! The shop's programme: each upcoming event with its lowest open-sale price ("from") and
//! whether it is sold out, read for every listed event at once — a fixed handful of statements
//! whatever the number of events (the shop lists at most a page of them), never one per event.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fullhouse_core::http::PageParams;
use fullhouse_core::{OrgId, Result};
use fullhouse_ticketing::model::catalog::{Event, EventFilter, EventStatus};
use fullhouse_ticketing::model::orders::TicketStatus;
use fullhouse_ticketing::service::sale_facts::{
    event_stocks, EventStock, SeatScope, StockTicketType,
};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::store::{tickets, venue_seats};
use fullhouse_ticketing::ShopId;
use sea_orm::sea_query::{Alias, Expr, Func, JoinType, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::Checkout;
use crate::model::is_locked_in;

/// Upcoming events a shop lists (the most a page of events holds).
pub const SHOP_EVENTS: u64 = PageParams::MAX_LIMIT;

/// One event of the shop's programme.
#[derive(Debug, Clone)]
pub struct ListedEvent {
    pub event: Event,
    /// The lowest price of a ticket type on open sale with places left, and its currency.
    pub price_from: Option<(i64, String)>,
    /// The event has ticket types on open sale, and none has a seat or place left.
    pub sold_out: bool,
}

/// Seats per category: of a venue, or sold at an event.
type CategoryCounts = HashMap<String, HashMap<Option<String>, i64>>;

impl Checkout {
    /// The upcoming scheduled events of a shop in date order, each with its price from and
    /// whether it is sold out. In a secret shop (`Some`), only the events that sell some of the
    /// shop's own types, priced by those types; in the public shop, every upcoming event,
    /// priced by its types on open sale.
    ///
    /// Seats held back for codes count as free here (which seats are held is the campaigns'
    /// to say, per event): an event whose last free seats are all held reads "from" rather
    /// than "sold out".
    pub async fn shop_listing(
        &self,
        org: &OrgId,
        shop: Option<&ShopId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ListedEvent>> {
        let filter = EventFilter {
            from: Some(now),
            status: Some(EventStatus::Scheduled),
            ..Default::default()
        };
        let params = PageParams {
            cursor: None,
            limit: Some(SHOP_EVENTS),
        };
        let events = CatalogService::new(self.db.clone())
            .list_events(org, &filter, &params)
            .await?
            .items;
        // `list_events` answers in date order (then by id), as a buyer reads a programme: the
        // first SHOP_EVENTS are the soonest, whatever order they were created in.
        let conn = self.db.reader();
        // Types and areas of every event, no seats: those are counted below.
        let no_seats = SeatScope::Only {
            ids: Vec::new(),
            labels: Vec::new(),
        };
        let wanted: Vec<_> = events
            .iter()
            .map(|e| (e.id.clone(), no_seats.clone()))
            .collect();
        let stocks = event_stocks(conn, org, &wanted).await?;
        let venues: Vec<String> = stocks.values().map(|s| s.venue_id.to_string()).collect();
        let seats = venue_seat_counts(conn, org, &venues).await?;
        let event_ids: Vec<String> = stocks.keys().cloned().collect();
        let sold = sold_seat_counts(conn, org, &event_ids).await?;
        let mut listed = Vec::new();
        for event in events {
            let Some(stock) = stocks.get(event.id.as_str()) else {
                continue;
            };
            let free = |category: Option<&str>| {
                free_seats(
                    seats.get(stock.venue_id.as_str()),
                    sold.get(stock.event_id.as_str()),
                    category,
                )
            };
            let on_sale: Vec<&StockTicketType> = stock
                .ticket_types
                .iter()
                .filter(|t| !is_locked_in(t, shop))
                .filter(|t| shop.is_none() || t.shop_id.as_ref() == shop)
                .filter(|t| in_window(stock, t, now))
                .collect();
            if shop.is_some() && on_sale.is_empty() {
                continue;
            }
            let price_from = on_sale
                .iter()
                .filter(|t| has_places(stock, t, &free))
                .min_by_key(|t| t.price_minor)
                .map(|t| (t.price_minor, t.currency.clone()));
            listed.push(ListedEvent {
                sold_out: !on_sale.is_empty() && price_from.is_none(),
                price_from,
                event,
            });
        }
        Ok(listed)
    }
}

/// Online sales keep to the event's and the type's sales windows (as pricing does).
fn in_window(stock: &EventStock, t: &StockTicketType, now: DateTime<Utc>) -> bool {
    let open = |start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>| {
        start.is_none_or(|s| now >= s) && end.is_none_or(|e| now <= e)
    };
    open(stock.sales_start, stock.sales_end) && open(t.sales_start, t.sales_end)
}

/// Whether a type has a place left: its own limit, then its area's places or the free seats
/// of its category (any free seat for a type without a category).
fn has_places(
    stock: &EventStock,
    t: &StockTicketType,
    free_seats: &impl Fn(Option<&str>) -> i64,
) -> bool {
    if t.left().is_some_and(|left| left <= 0) {
        return false;
    }
    match &t.ga_area_id {
        Some(area) => stock
            .ga_areas
            .iter()
            .find(|a| &a.id == area)
            .is_some_and(|a| a.capacity > a.sold),
        None => free_seats(t.category.as_deref()) > 0,
    }
}

/// Free seats of a category (`None`: of every category) from a venue's and an event's counts.
fn free_seats(
    venue: Option<&HashMap<Option<String>, i64>>,
    sold: Option<&HashMap<Option<String>, i64>>,
    category: Option<&str>,
) -> i64 {
    let matches = |c: &Option<String>| match category {
        None => true,
        Some(wanted) => c
            .as_deref()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case(wanted.trim())),
    };
    let count = |counts: Option<&HashMap<Option<String>, i64>>| {
        counts.map_or(0, |m| {
            m.iter()
                .filter(|(c, _)| matches(c))
                .map(|(_, n)| *n)
                .sum::<i64>()
        })
    };
    count(venue) - count(sold)
}

/// Seats per venue and category, in one grouped count.
async fn venue_seat_counts(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    venues: &[String],
) -> Result<CategoryCounts> {
    let mut counts: CategoryCounts = HashMap::new();
    if venues.is_empty() {
        return Ok(counts);
    }
    let rows: Vec<(String, Option<String>, i64)> = venue_seats::Entity::find()
        .select_only()
        .column(venue_seats::Column::VenueId)
        .column(venue_seats::Column::Category)
        .column_as(venue_seats::Column::Id.count(), "seats")
        .filter(venue_seats::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_seats::Column::VenueId.is_in(venues.iter().cloned()))
        .group_by(venue_seats::Column::VenueId)
        .group_by(venue_seats::Column::Category)
        .into_tuple()
        .all(conn)
        .await?;
    for (venue, category, n) in rows {
        counts.entry(venue).or_default().insert(category, n);
    }
    Ok(counts)
}

/// Seats held by a valid ticket per event and seat category, in one grouped count.
async fn sold_seat_counts(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    events: &[String],
) -> Result<CategoryCounts> {
    let mut counts: CategoryCounts = HashMap::new();
    if events.is_empty() {
        return Ok(counts);
    }
    let (t, s) = (Alias::new("t"), Alias::new("s"));
    let col = |table: &Alias, name: &str| Expr::col((table.clone(), Alias::new(name)));
    let query = Query::select()
        .expr_as(col(&t, "event_id"), Alias::new("event_id"))
        .expr_as(col(&s, "category"), Alias::new("category"))
        .expr_as(Func::count(col(&t, "id")), Alias::new("seats"))
        .from_as(tickets::Entity, t.clone())
        .join_as(
            JoinType::InnerJoin,
            venue_seats::Entity,
            s.clone(),
            col(&s, "organization_id")
                .equals((t.clone(), Alias::new("organization_id")))
                .and(col(&s, "id").equals((t.clone(), Alias::new("seat_id")))),
        )
        .and_where(col(&t, "organization_id").eq(org.as_str()))
        .and_where(col(&t, "event_id").is_in(events.iter().cloned()))
        .and_where(col(&t, "status").eq(TicketStatus::Valid.as_str()))
        .group_by_col((t.clone(), Alias::new("event_id")))
        .group_by_col((s.clone(), Alias::new("category")))
        .to_owned();
    let statement = conn.get_database_backend().build(&query);
    for row in conn.query_all(statement).await? {
        let event: String = row.try_get("", "event_id")?;
        let category: Option<String> = row.try_get("", "category")?;
        let n: i64 = row.try_get("", "seats")?;
        counts.entry(event).or_default().insert(category, n);
    }
    Ok(counts)
}
