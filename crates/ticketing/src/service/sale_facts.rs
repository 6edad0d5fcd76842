//! Reads for checkout: everything a sale of one event needs to price a cart and draw a seat map
//! (ticket types with what is left, every seat with whether it is sold, GA areas with their
//! per-event count), and the buyer of a storefront order as a customer.
//!
//! Checkout never reads ticketing's tables itself (DESIGN §2.1); it calls these.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fullhouse_core::db::{statement, wanted_rows, SqlType};
use fullhouse_core::tenancy::model::validate_email;
use fullhouse_core::{events as outbox, Error, OrgId, Result};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set, Value,
};

use super::orders::event_ga_sales;
use crate::model::ids::*;
use crate::model::orders::TicketStatus;
use crate::model::rules::optional_text;
use crate::outbox::{CustomerChange, CustomerChanged};
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
    event_stocks(conn, org, &[(event.clone(), scope.clone())])
        .await?
        .remove(event.as_str())
        .ok_or(Error::NotFound("event"))
}

/// The stock of several events at once, each with the seats of its scope, keyed by event id; an
/// event that does not exist is left out. A fixed handful of statements whatever the number of
/// events, so that checkout can price a group of orders placed together with one read.
pub async fn event_stocks(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    wanted: &[(EventId, SeatScope)],
) -> Result<HashMap<String, EventStock>> {
    let event_ids: Vec<String> = wanted
        .iter()
        .map(|(e, _)| e.to_string())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if event_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found = events::Entity::find()
        .filter(events::Column::OrganizationId.eq(org.as_str()))
        .filter(events::Column::Id.is_in(event_ids.iter().cloned()))
        .all(conn)
        .await?;
    if found.is_empty() {
        return Ok(HashMap::new());
    }
    let found_ids: Vec<String> = found.iter().map(|e| e.id.clone()).collect();
    let venue_ids: Vec<String> = found
        .iter()
        .map(|e| e.venue_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut types_by_event: HashMap<String, Vec<ticket_types::Model>> = HashMap::new();
    for t in ticket_types::Entity::find()
        .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
        .filter(ticket_types::Column::EventId.is_in(found_ids.iter().cloned()))
        .order_by_asc(ticket_types::Column::Id)
        .all(conn)
        .await?
    {
        types_by_event
            .entry(t.event_id.clone())
            .or_default()
            .push(t);
    }
    let venue_of: HashMap<&str, &str> = found
        .iter()
        .map(|e| (e.id.as_str(), e.venue_id.as_str()))
        .collect();
    let scopes: Vec<(&str, &str, &SeatScope)> = wanted
        .iter()
        .filter_map(|(e, scope)| {
            venue_of
                .get_key_value(e.as_str())
                .map(|(event, venue)| (*event, *venue, scope))
        })
        .collect();
    let seats = read_seats(conn, org, &scopes).await?;
    let sold_seats = read_sold_seats(conn, org, &found_ids, &seats).await?;
    let mut areas_by_venue: HashMap<String, Vec<venue_ga_areas::Model>> = HashMap::new();
    for area in venue_ga_areas::Entity::find()
        .filter(venue_ga_areas::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_ga_areas::Column::VenueId.is_in(venue_ids.iter().cloned()))
        .order_by_asc(venue_ga_areas::Column::Name)
        .all(conn)
        .await?
    {
        areas_by_venue
            .entry(area.venue_id.clone())
            .or_default()
            .push(area);
    }
    let area_sold: HashMap<(String, String), i64> = event_ga_sales::Entity::find()
        .filter(event_ga_sales::Column::OrganizationId.eq(org.as_str()))
        .filter(event_ga_sales::Column::EventId.is_in(found_ids.iter().cloned()))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| ((row.event_id, row.ga_area_id), row.sold))
        .collect();
    let mut stocks = HashMap::new();
    for event in found {
        let scope = wanted
            .iter()
            .find(|(e, _)| e.as_str() == event.id)
            .map(|(_, s)| s);
        let event_seats: Vec<StockSeat> = seats
            .iter()
            .filter(|s| s.venue_id == event.venue_id && scope.is_some_and(|sc| sc.names(s)))
            .map(|s| StockSeat {
                sold: sold_seats.contains(&(event.id.clone(), s.id.clone())),
                id: SeatId::from_db(s.id.clone()),
                section_name: s.section_name.clone(),
                group_name: s.group_name.clone(),
                row_name: s.row_name.clone(),
                seat_label: s.seat_label.clone(),
                category: s.category.clone(),
            })
            .collect();
        let types = types_by_event.remove(&event.id).unwrap_or_default();
        let areas = areas_by_venue
            .get(&event.venue_id)
            .cloned()
            .unwrap_or_default();
        let ga_areas = areas
            .iter()
            .map(|a| StockGaArea {
                sold: area_sold
                    .get(&(event.id.clone(), a.id.clone()))
                    .copied()
                    .unwrap_or(0),
                id: GaAreaId::from_db(a.id.clone()),
                name: a.name.clone(),
                capacity: a.capacity,
                category: a.category.clone(),
            })
            .collect();
        let rows = StockRows {
            event: event.clone(),
            ticket_types: types.clone(),
            ga_areas: areas,
        };
        stocks.insert(
            event.id.clone(),
            EventStock {
                rows,
                event_id: EventId::from_db(event.id),
                production_id: ProductionId::from_db(event.production_id),
                venue_id: VenueId::from_db(event.venue_id),
                status: event.status,
                starts_at: event.starts_at,
                sales_start: event.sales_start,
                sales_end: event.sales_end,
                ticket_types: types.into_iter().map(stock_type).collect(),
                seats: event_seats,
                ga_areas,
            },
        );
    }
    Ok(stocks)
}

impl SeatScope {
    /// Whether the scope takes in this seat.
    fn names(&self, seat: &venue_seats::Model) -> bool {
        match self {
            SeatScope::All => true,
            SeatScope::Only { ids, labels } => {
                ids.iter().any(|id| id.as_str() == seat.id) || labels.contains(&seat.seat_label)
            }
        }
    }

    fn names_none(&self) -> bool {
        matches!(self, SeatScope::Only { ids, labels } if ids.is_empty() && labels.is_empty())
    }
}

/// The seats the scopes name, in the venues' order: every seat of a venue an `All` scope reads,
/// and the named seats of the others (a cart without seats names none: nothing is read).
async fn read_seats(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    scopes: &[(&str, &str, &SeatScope)],
) -> Result<Vec<venue_seats::Model>> {
    let mut whole_venues = HashSet::new();
    let mut named_venues = HashSet::new();
    let (mut ids, mut labels) = (HashSet::new(), HashSet::new());
    for (_, venue, scope) in scopes {
        match scope {
            SeatScope::All => {
                whole_venues.insert(venue.to_string());
            }
            SeatScope::Only { .. } if scope.names_none() => {}
            SeatScope::Only {
                ids: seat_ids,
                labels: seat_labels,
            } => {
                named_venues.insert(venue.to_string());
                ids.extend(seat_ids.iter().take(MAX_SCOPED).map(|i| i.to_string()));
                labels.extend(seat_labels.iter().take(MAX_SCOPED).cloned());
            }
        }
    }
    let base = || {
        venue_seats::Entity::find()
            .filter(venue_seats::Column::OrganizationId.eq(org.as_str()))
            .order_by_asc(venue_seats::Column::SortOrder)
            .order_by_asc(venue_seats::Column::Id)
    };
    let mut seats = Vec::new();
    if !whole_venues.is_empty() {
        seats = base()
            .filter(venue_seats::Column::VenueId.is_in(whole_venues.iter().cloned()))
            .all(conn)
            .await?;
    }
    named_venues.retain(|v| !whole_venues.contains(v));
    if !named_venues.is_empty() {
        seats.extend(
            base()
                .filter(venue_seats::Column::VenueId.is_in(named_venues))
                .filter(
                    Condition::any()
                        .add(venue_seats::Column::Id.is_in(ids))
                        .add(venue_seats::Column::SeatLabel.is_in(labels)),
                )
                .all(conn)
                .await?,
        );
    }
    Ok(seats)
}

/// `(event, seat)` of the valid tickets holding one of `seats` at one of `events`.
async fn read_sold_seats(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    events: &[String],
    seats: &[venue_seats::Model],
) -> Result<HashSet<(String, String)>> {
    if seats.is_empty() {
        return Ok(HashSet::new());
    }
    let mut sold = HashSet::new();
    // A whole venue can be thousands of seats: then every sold seat of the events is read
    // rather than naming each seat.
    let mut select = tickets::Entity::find()
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::EventId.is_in(events.iter().cloned()))
        .filter(tickets::Column::Status.eq(TicketStatus::Valid.as_str()))
        .filter(tickets::Column::SeatId.is_not_null());
    if seats.len() <= MAX_SCOPED {
        select = select.filter(tickets::Column::SeatId.is_in(seats.iter().map(|s| s.id.clone())));
    }
    for ticket in select.all(conn).await? {
        if let Some(seat) = ticket.seat_id {
            sold.insert((ticket.event_id, seat));
        }
    }
    Ok(sold)
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
    Ok(existing_customers(conn, org, &[customer])
        .await?
        .contains(customer))
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
    match find_buyer(txn, org, buyer).await? {
        Some(found) => Ok(found),
        None => create_buyer(txn, org, buyer).await,
    }
}

/// Checks what a buyer typed; the email as customers are matched on it (trimmed, lower case).
pub fn checked_buyer_email(buyer: &Buyer) -> Result<String> {
    let email = validate_email("buyer.email", &buyer.email)?;
    optional_text("buyer.first_name", buyer.first_name.clone(), 200)?;
    optional_text("buyer.last_name", buyer.last_name.clone(), 200)?;
    optional_text("buyer.phone", buyer.phone.clone(), 50)?;
    Ok(email)
}

/// Checks what a buyer typed and finds the customer with that email (case-insensitively);
/// `None` when there is none yet.
pub async fn find_buyer(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    buyer: &Buyer,
) -> Result<Option<CustomerId>> {
    let email = checked_buyer_email(buyer)?;
    Ok(customers_by_email(conn, org, &[email.as_str()])
        .await?
        .remove(&email))
}

/// For each email (as [`checked_buyer_email`] gives it), the oldest customer of the
/// organization with that email, case-insensitively; emails nobody has are left out. One
/// statement for a whole checkout group; the `lower(email)` index answers each email.
pub async fn customers_by_email(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    emails: &[&str],
) -> Result<HashMap<String, CustomerId>> {
    let rows: Vec<Vec<Value>> = emails.iter().map(|e| vec![text(e)]).collect();
    let found = each_wanted(
        conn,
        org,
        "email",
        &rows,
        "(SELECT c.id FROM customers AS c \
          WHERE c.organization_id = $1 AND lower(c.email) = wanted.email \
          ORDER BY c.id LIMIT 1)",
    )
    .await?;
    Ok(found
        .into_iter()
        .map(|(email, id)| (email, CustomerId::from_db(id)))
        .collect())
}

/// Of these ids, those naming a customer of the organization: one statement for a whole
/// checkout group.
pub async fn existing_customers(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    ids: &[&CustomerId],
) -> Result<HashSet<CustomerId>> {
    let rows: Vec<Vec<Value>> = ids.iter().map(|id| vec![text(id.as_str())]).collect();
    let found = each_wanted(
        conn,
        org,
        "id",
        &rows,
        "(SELECT c.id FROM customers AS c WHERE c.organization_id = $1 AND c.id = wanted.id)",
    )
    .await?;
    Ok(found.into_values().map(CustomerId::from_db).collect())
}

/// Runs `lookup` (a scalar subquery over `wanted.{column}`, the organization in `$1`) for each
/// wanted text and keeps the ones it found something for. The lookup is a correlated subquery
/// by index rather than a join, so PostgreSQL does not hash a whole large customers table
/// against its guess of 100 wanted rows.
async fn each_wanted(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    column: &str,
    rows: &[Vec<Value>],
    lookup: &str,
) -> Result<HashMap<String, String>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = conn.get_database_backend();
    let mut values = vec![text(org.as_str())];
    let wanted = wanted_rows(
        backend,
        "wanted",
        &[(column, SqlType::Text)],
        rows,
        &mut values,
    );
    let sql =
        format!("WITH {wanted} SELECT wanted.{column} AS wanted, {lookup} AS found FROM wanted");
    let mut found = HashMap::new();
    for row in conn.query_all(statement(backend, &sql, values)).await? {
        let key: String = row.try_get("", "wanted")?;
        if let Some(id) = row.try_get::<Option<String>>("", "found")? {
            found.insert(key, id);
        }
    }
    Ok(found)
}

fn text(v: &str) -> Value {
    Value::String(Some(Box::new(v.to_string())))
}

/// Creates the customer of a buyer [`find_buyer`] did not find (with its `customer.changed`).
pub async fn create_buyer(
    txn: &DatabaseTransaction,
    org: &OrgId,
    buyer: &Buyer,
) -> Result<CustomerId> {
    let email = validate_email("buyer.email", &buyer.email)?;
    let first_name = optional_text("buyer.first_name", buyer.first_name.clone(), 200)?;
    let last_name = optional_text("buyer.last_name", buyer.last_name.clone(), 200)?;
    let phone = optional_text("buyer.phone", buyer.phone.clone(), 50)?;
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
        &CustomerChanged::new(id.clone(), CustomerChange::Created),
    )
    .await?;
    Ok(id)
}
