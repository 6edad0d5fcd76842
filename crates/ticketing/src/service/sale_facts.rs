//! Reads for checkout: everything a sale of one event needs to price a cart and draw a seat map
//! (ticket types with what is left, every seat with whether it is sold, GA areas with their
//! per-event count), and the buyer of a storefront order as a customer.
//!
//! Checkout never reads ticketing's tables itself (DESIGN §2.1); it calls these.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fullhouse_core::tenancy::model::validate_email;
use fullhouse_core::{events as outbox, Error, OrgId, Result};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use super::orders::event_ga_sales;
use crate::model::customers::CUSTOMER_CHANGED;
use crate::model::ids::*;
use crate::model::orders::TicketStatus;
use crate::model::rules::optional_text;
use crate::store::{customers, events, ticket_types, tickets, venue_ga_areas, venue_seats};

/// The most seats a scoped read names (far above a cart's limit, far below parameter limits).
const MAX_SCOPED: usize = 500;

/// One event's sellable stock as it is now.
#[derive(Debug, Clone)]
pub struct EventStock {
    pub event_id: EventId,
    pub production_id: ProductionId,
    pub venue_id: VenueId,
    pub status: String,
    pub starts_at: DateTime<Utc>,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
    pub ticket_types: Vec<StockTicketType>,
    /// Every seat of the venue, in the venue's order.
    pub seats: Vec<StockSeat>,
    pub ga_areas: Vec<StockGaArea>,
    /// The rows this was read from, for placing an order in the same transaction.
    pub(crate) rows: StockRows,
}

/// The event's rows as read, so that booking in the same transaction need not read them again.
#[derive(Debug, Clone)]
pub(crate) struct StockRows {
    pub(crate) event: events::Model,
    pub(crate) ticket_types: Vec<ticket_types::Model>,
    pub(crate) ga_areas: Vec<venue_ga_areas::Model>,
}

#[derive(Debug, Clone)]
pub struct StockTicketType {
    pub id: TicketTypeId,
    pub name: String,
    pub category: Option<String>,
    pub price_minor: i64,
    pub currency: String,
    pub capacity: Option<i64>,
    pub sold: i64,
    pub hidden: bool,
    pub shop_id: Option<ShopId>,
    pub ga_area_id: Option<GaAreaId>,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
}

impl StockTicketType {
    /// Places left of the type's own capacity (`None`: no limit of its own).
    pub fn left(&self) -> Option<i64> {
        self.capacity.map(|c| (c - self.sold).max(0))
    }
}

#[derive(Debug, Clone)]
pub struct StockSeat {
    pub id: SeatId,
    pub section_name: String,
    pub group_name: String,
    pub row_name: String,
    pub seat_label: String,
    pub category: Option<String>,
    /// A valid ticket holds this seat for the event.
    pub sold: bool,
}

#[derive(Debug, Clone)]
pub struct StockGaArea {
    pub id: GaAreaId,
    pub name: String,
    pub capacity: i64,
    pub sold: i64,
    pub category: Option<String>,
}

/// Which seats of the venue a stock read loads.
#[derive(Debug, Clone, Default)]
pub enum SeatScope {
    /// Every seat (a seat map).
    #[default]
    All,
    /// Only the seats with these ids or labels (a cart): placing an order then reads what it
    /// needs, not the whole venue.
    Only {
        ids: Vec<SeatId>,
        labels: Vec<String>,
    },
}

/// The event's stock with every seat, read on `conn` (the reader, or a caller's transaction).
pub async fn event_stock(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    event: &EventId,
) -> Result<EventStock> {
    event_stock_scoped(conn, org, event, &SeatScope::All).await
}

/// The event's stock with the seats of `scope` only.
pub async fn event_stock_scoped(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    event: &EventId,
    scope: &SeatScope,
) -> Result<EventStock> {
    let found = events::Entity::find_by_id((org.to_string(), event.to_string()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("event"))?;
    let types = ticket_types::Entity::find()
        .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
        .filter(ticket_types::Column::EventId.eq(event.as_str()))
        .order_by_asc(ticket_types::Column::Id)
        .all(conn)
        .await?;
    let mut seat_select = venue_seats::Entity::find()
        .filter(venue_seats::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_seats::Column::VenueId.eq(found.venue_id.as_str()));
    let mut sold_select = tickets::Entity::find()
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::EventId.eq(event.as_str()))
        .filter(tickets::Column::Status.eq(TicketStatus::Valid.as_str()))
        .filter(tickets::Column::SeatId.is_not_null());
    if let SeatScope::Only { ids, labels } = scope {
        seat_select = seat_select.filter(
            Condition::any()
                .add(
                    venue_seats::Column::Id
                        .is_in(ids.iter().take(MAX_SCOPED).map(|i| i.to_string())),
                )
                .add(venue_seats::Column::SeatLabel.is_in(labels.iter().take(MAX_SCOPED).cloned())),
        );
    }
    // A cart without seats (general admission) names no seat: nothing to read.
    let no_seats_named =
        matches!(scope, SeatScope::Only { ids, labels } if ids.is_empty() && labels.is_empty());
    let seats = if no_seats_named {
        Vec::new()
    } else {
        seat_select
            .order_by_asc(venue_seats::Column::SortOrder)
            .order_by_asc(venue_seats::Column::Id)
            .all(conn)
            .await?
    };
    if matches!(scope, SeatScope::Only { .. }) {
        sold_select = sold_select.filter(
            tickets::Column::SeatId.is_in(seats.iter().take(MAX_SCOPED).map(|s| s.id.clone())),
        );
    }
    let sold_seats: HashSet<String> = if seats.is_empty() {
        HashSet::new()
    } else {
        sold_select
            .all(conn)
            .await?
            .into_iter()
            .filter_map(|t| t.seat_id)
            .collect()
    };
    let areas = venue_ga_areas::Entity::find()
        .filter(venue_ga_areas::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_ga_areas::Column::VenueId.eq(found.venue_id.as_str()))
        .order_by_asc(venue_ga_areas::Column::Name)
        .all(conn)
        .await?;
    let area_sold: HashMap<String, i64> = event_ga_sales::Entity::find()
        .filter(event_ga_sales::Column::OrganizationId.eq(org.as_str()))
        .filter(event_ga_sales::Column::EventId.eq(event.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.ga_area_id, row.sold))
        .collect();
    let rows = StockRows {
        event: found.clone(),
        ticket_types: types.clone(),
        ga_areas: areas.clone(),
    };
    Ok(EventStock {
        rows,
        event_id: EventId::from_db(found.id),
        production_id: ProductionId::from_db(found.production_id),
        venue_id: VenueId::from_db(found.venue_id),
        status: found.status,
        starts_at: found.starts_at,
        sales_start: found.sales_start,
        sales_end: found.sales_end,
        ticket_types: types.into_iter().map(stock_type).collect(),
        seats: seats
            .into_iter()
            .map(|s| StockSeat {
                sold: sold_seats.contains(&s.id),
                id: SeatId::from_db(s.id),
                section_name: s.section_name,
                group_name: s.group_name,
                row_name: s.row_name,
                seat_label: s.seat_label,
                category: s.category,
            })
            .collect(),
        ga_areas: areas
            .into_iter()
            .map(|a| StockGaArea {
                sold: area_sold.get(&a.id).copied().unwrap_or(0),
                id: GaAreaId::from_db(a.id),
                name: a.name,
                capacity: a.capacity,
                category: a.category,
            })
            .collect(),
    })
}

fn stock_type(m: ticket_types::Model) -> StockTicketType {
    StockTicketType {
        id: TicketTypeId::from_db(m.id),
        name: m.name,
        category: m.category,
        price_minor: m.price_minor,
        currency: m.currency,
        capacity: m.capacity,
        sold: m.sold,
        hidden: m.hidden,
        shop_id: m.shop_id.map(ShopId::from_db),
        ga_area_id: m.ga_area_id.map(GaAreaId::from_db),
        sales_start: m.sales_start,
        sales_end: m.sales_end,
    }
}

/// Whether a customer id names a customer of the organization.
pub async fn customer_exists(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    customer: &CustomerId,
) -> Result<bool> {
    Ok(
        customers::Entity::find_by_id((org.to_string(), customer.to_string()))
            .one(conn)
            .await?
            .is_some(),
    )
}

/// A storefront buyer, as typed at checkout.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

/// The customer a storefront buyer is: the oldest customer with that email (case-insensitive),
/// else a new one (recorded as `customer.changed`). Runs in the order's transaction, so an order
/// that fails leaves no customer behind.
pub async fn find_or_create_buyer(
    txn: &DatabaseTransaction,
    org: &OrgId,
    buyer: &Buyer,
) -> Result<CustomerId> {
    let email = validate_email("buyer.email", &buyer.email)?;
    let first_name = optional_text("buyer.first_name", buyer.first_name.clone(), 200)?;
    let last_name = optional_text("buyer.last_name", buyer.last_name.clone(), 200)?;
    let phone = optional_text("buyer.phone", buyer.phone.clone(), 50)?;
    let existing = customers::Entity::find()
        .filter(customers::Column::OrganizationId.eq(org.as_str()))
        .filter(Expr::expr(Func::lower(Expr::col(customers::Column::Email))).eq(email.as_str()))
        .order_by_asc(customers::Column::Id)
        .one(txn)
        .await?;
    if let Some(found) = existing {
        return Ok(CustomerId::from_db(found.id));
    }
    let now = Utc::now();
    let id = CustomerId::generate();
    customers::Entity::insert(customers::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        first_name: Set(first_name),
        last_name: Set(last_name),
        email: Set(Some(email)),
        phone: Set(phone),
        subscriber: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    outbox::record(
        txn,
        org,
        CUSTOMER_CHANGED,
        id.as_str(),
        json!({"id": id, "change": "created"}),
    )
    .await?;
    Ok(id)
}
