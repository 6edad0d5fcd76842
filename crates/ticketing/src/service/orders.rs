//! Orders and tickets: the one write path for every sale.
//!
//! Every sale — the dashboard, the API, a bulk or CSV ingest of history, an external platform's
//! webhook, later the checkout — goes through [`OrderService`]: validate everything inside one
//! write transaction, take capacity with conditional updates, insert the order and its tickets,
//! and record `order.placed` in the outbox. Nothing is ever half-booked.
//!
//! Three guards hold under any concurrency, on both backends:
//! - a ticket type's `sold` and a GA area's per-event `sold` are raised with ONE conditional
//!   `UPDATE … SET sold = sold + n WHERE … AND sold + n <= capacity` each; a read-then-write would
//!   let two buyers who both saw the last place both take it;
//! - a seat is sold at most once per event by the partial unique index `ux_tickets_seat_per_event`;
//! - an external id names at most one order by the unique index on `(organization_id,
//!   external_id)`.
//!
//! When a concurrent transaction wins one of these races on PostgreSQL, ours fails with a unique
//! violation; we roll back and run the whole operation again, and the second run's ordinary checks
//! see the winner: the taken seat becomes a precise 409, the known external id returns the
//! existing order. (On SQLite writes are serialized by the single write connection, so the checks
//! inside the transaction already see everything.)

mod grouped;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;

use chrono::{DateTime, Duration, Timelike, Utc};
use fullhouse_core::db::insert_rows;
use fullhouse_core::error::is_unique_violation;
use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::tenancy::model::validate_email;
use fullhouse_core::{events as outbox, Db, Error, FieldError, OrgId, Result};
use sea_orm::sea_query::{Expr, Func, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Select, Set,
};

pub use grouped::{plan_group, take_group_capacity, write_group};

use super::fetch_page;
use super::sale_facts::{EventStock, StockRows};
use crate::model::catalog::EventStatus;
use crate::model::ids::*;
use crate::model::orders::*;
use crate::model::rules::optional_text;
use crate::outbox::{CustomerChange, CustomerChanged, OrderCancelled, OrderPlaced, OrderSummary};
use crate::store::{customers, events, orders, ticket_types, tickets, venue_ga_areas, venue_seats};

/// Places sold per general-admission area and event (migration 0002). A GA area's capacity is a
/// property of the venue, shared by every ticket type that sells it, so it needs its own counter.
pub mod event_ga_sales {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_ga_sales")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ga_area_id: String,
        pub sold: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// How often an operation is run again after losing a race to a concurrent transaction.
const ATTEMPTS: usize = 3;
/// Values per `IN (…)` list: far below SQLite's and PostgreSQL's parameter limits.
const IN_CHUNK: usize = 500;
/// Purchase times a little ahead of our clock are another machine's clock, not the future.
const CLOCK_SKEW_MINUTES: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The input is wrong (422).
    Invalid,
    /// The input is fine but the stock is not: a sold seat, a used barcode, a sold-out type (409).
    Conflict,
}

/// One thing wrong with one order, or one of its tickets, of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The order's position in the request.
    pub order: usize,
    /// The ticket's position in its order, when the problem is a ticket's.
    pub ticket: Option<usize>,
    /// The input field, named as in [`NewOrder`] and [`NewTicket`].
    pub field: &'static str,
    pub reason: String,
    pub kind: ProblemKind,
}

impl Problem {
    /// The field's path within its order: `tickets[2].seat`, `customer_id`.
    pub fn path(&self) -> String {
        match self.ticket {
            Some(ticket) => format!("tickets[{ticket}].{}", self.field),
            None => self.field.to_string(),
        }
    }
}

/// Why an ingest wrote nothing.
#[derive(Debug)]
pub enum IngestError {
    /// Orders or tickets that are wrong, every one of them.
    Problems(Vec<Problem>),
    Other(Error),
}

/// Why one attempt failed: problems to report, a lost race to run again, or an error.
enum Failure {
    Problems(Vec<Problem>),
    Race(DbErr),
    Other(Error),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Self::Other(err)
    }
}

impl From<DbErr> for Failure {
    fn from(err: DbErr) -> Self {
        Self::Other(err.into())
    }
}

/// A unique violation on an insert means a concurrent transaction won a race.
fn race_or_error(err: DbErr) -> Failure {
    if is_unique_violation(&err) {
        Failure::Race(err)
    } else {
        Failure::Other(err.into())
    }
}

/// Runs `attempt` again while it loses races, at most [`ATTEMPTS`] times.
async fn with_retries<T, F, Fut>(mut attempt: F) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(Failure::Race(err)) if tries < ATTEMPTS => {
                tracing::debug!(error = %err, tries, "lost a race to a concurrent order; retrying");
                tries += 1;
            }
            Err(Failure::Race(err)) => {
                tracing::warn!(error = %err, "an order kept losing races");
                return Err(Failure::Other(Error::conflict(
                    "tickets",
                    "concurrent orders took seats, barcodes or the external id of this one; try again",
                )));
            }
            other => return other,
        }
    }
}

/// One order's problems as one error: the wrong fields (422), else the first conflict (409).
fn single_order_error(failure: Failure) -> Error {
    match failure {
        Failure::Other(err) => err,
        Failure::Race(err) => err.into(),
        Failure::Problems(problems) => {
            let invalid: Vec<FieldError> = problems
                .iter()
                .filter(|p| p.kind == ProblemKind::Invalid)
                .map(|p| FieldError::new(p.path(), p.reason.clone()))
                .collect();
            if !invalid.is_empty() {
                return Error::invalid_fields(invalid);
            }
            match problems.into_iter().next() {
                Some(first) => Error::conflict(first.path(), first.reason),
                None => Error::invalid_fields(Vec::new()),
            }
        }
    }
}

impl From<Failure> for IngestError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Problems(problems) => Self::Problems(problems),
            Failure::Race(err) => Self::Other(err.into()),
            Failure::Other(err) => Self::Other(err),
        }
    }
}

#[derive(Clone)]
pub struct OrderService {
    db: Db,
}

impl OrderService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Places one order in one transaction. An order whose `external_id` is already known is
    /// returned as it is (`created: false`) and nothing is booked, even when the same order
    /// arrives several times at once.
    pub async fn place_order(
        &self,
        org: &OrgId,
        new: NewOrder,
        source: OrderSource,
    ) -> Result<Placed> {
        with_retries(|| self.try_place(org, &new, source))
            .await
            .map_err(single_order_error)
    }

    async fn try_place(
        &self,
        org: &OrgId,
        new: &NewOrder,
        source: OrderSource,
    ) -> Result<Placed, Failure> {
        let txn = self.db.begin_write().await?;
        if let Some(order) = known_order(&txn, org, new.external_id.as_deref()).await? {
            txn.rollback().await?;
            return Ok(Placed {
                order,
                created: false,
            });
        }
        let order = plan_and_book(&txn, org, new, source).await?;
        txn.commit().await?;
        Ok(Placed {
            order,
            created: true,
        })
    }

    /// Ingests historical orders, each with an `external_id`: all are validated and every problem
    /// is reported (paths `orders[i].…`); nothing is written unless all are fine. Orders whose
    /// external id is already known are skipped and counted.
    pub async fn bulk_orders(&self, org: &OrgId, bulk: BulkOrders) -> Result<IngestSummary> {
        if bulk.orders.len() > MAX_BULK_ORDERS {
            return Err(Error::invalid(
                "orders",
                format!(
                    "{} orders is too many for one request; send at most {MAX_BULK_ORDERS}",
                    bulk.orders.len()
                ),
            ));
        }
        self.ingest(org, &bulk.orders, OrderSource::Import)
            .await
            .map_err(|err| match err {
                IngestError::Other(err) => err,
                IngestError::Problems(problems) => Error::invalid_fields(
                    problems
                        .iter()
                        .map(|p| {
                            FieldError::new(format!("orders[{}].{}", p.order, p.path()), &p.reason)
                        })
                        .collect(),
                ),
            })
    }

    /// The ingest behind bulk JSON and CSV imports; problems name orders by their position in
    /// `orders`, so each caller can point at its own fields or rows.
    pub async fn ingest(
        &self,
        org: &OrgId,
        orders: &[NewOrder],
        source: OrderSource,
    ) -> Result<IngestSummary, IngestError> {
        Ok(with_retries(|| self.try_ingest(org, orders, source, true)).await?)
    }

    /// The problems [`Self::ingest`] would report, without writing anything (for imports that
    /// found bad cells already and want to report the rest of the file too). Sold-out ticket
    /// types and areas are not among them: only taking the places finds those.
    pub async fn check_ingest(
        &self,
        org: &OrgId,
        orders: &[NewOrder],
        source: OrderSource,
    ) -> Result<(), IngestError> {
        self.try_ingest(org, orders, source, false).await?;
        Ok(())
    }

    async fn try_ingest(
        &self,
        org: &OrgId,
        orders: &[NewOrder],
        source: OrderSource,
        commit: bool,
    ) -> Result<IngestSummary, Failure> {
        let (external_ids, mut problems) = ingest_external_ids(orders);
        let txn = self.db.begin_write().await?;
        let known = known_external_ids(&txn, org, &external_ids).await?;
        let fresh: Vec<(usize, &NewOrder)> = orders
            .iter()
            .enumerate()
            .filter(|(index, _)| {
                external_ids
                    .get(index)
                    .is_none_or(|external_id| !known.contains(external_id))
            })
            .collect();
        let summary = IngestSummary {
            created: fresh.len() as u64,
            skipped: (orders.len() - fresh.len()) as u64,
        };
        let plans = match plan(&txn, org, &fresh, source).await {
            Ok(plans) => plans,
            Err(Failure::Problems(more)) => {
                problems.extend(more);
                Vec::new()
            }
            Err(other) => return Err(other),
        };
        if !problems.is_empty() {
            problems.sort_by_key(|p| (p.order, p.ticket));
            return Err(Failure::Problems(problems));
        }
        if commit {
            book(&txn, org, &plans).await?;
            txn.commit().await?;
        } else {
            txn.rollback().await?;
        }
        Ok(summary)
    }

    /// Receives an order from an external ticketing platform: upserts its customer (by external
    /// id, then by email) and places the order with source `webhook`. A redelivered webhook
    /// returns the order it placed the first time (`created: false`) and books nothing.
    pub async fn receive_webhook(&self, org: &OrgId, hook: WebhookOrder) -> Result<Placed> {
        let customer = WebhookCustomerFields::check(&hook.customer)?;
        let external_id = external_id(&hook.id).map_err(|reason| Error::invalid("id", reason))?;
        let new = NewOrder {
            customer_id: None,
            channel: hook.channel,
            external_id: Some(external_id),
            created_at: Some(hook.created_at),
            tickets: hook
                .tickets
                .into_iter()
                .map(WebhookTicket::into_new_ticket)
                .collect(),
        };
        with_retries(|| self.try_webhook(org, &customer, &new))
            .await
            .map_err(single_order_error)
    }

    async fn try_webhook(
        &self,
        org: &OrgId,
        customer: &WebhookCustomerFields,
        new: &NewOrder,
    ) -> Result<Placed, Failure> {
        let txn = self.db.begin_write().await?;
        if let Some(order) = known_order(&txn, org, new.external_id.as_deref()).await? {
            txn.rollback().await?;
            return Ok(Placed {
                order,
                created: false,
            });
        }
        let customer_id = upsert_customer(&txn, org, customer).await?;
        let new = NewOrder {
            customer_id: Some(customer_id),
            ..new.clone()
        };
        let order = plan_and_book(&txn, org, &new, OrderSource::Webhook).await?;
        txn.commit().await?;
        Ok(Placed {
            order,
            created: true,
        })
    }

    /// Cancels an order and its tickets and gives their places back. Cancelling a cancelled
    /// order changes nothing.
    pub async fn cancel_order(&self, org: &OrgId, id: &OrderId) -> Result<Order> {
        let txn = self.db.begin_write().await?;
        let cancelled = cancel_in_transaction(&txn, org, id).await?;
        match cancelled {
            Cancelled::Now(order) => {
                txn.commit().await?;
                Ok(order)
            }
            Cancelled::Already(order) => {
                txn.rollback().await?;
                Ok(order)
            }
        }
    }

    pub async fn order(&self, org: &OrgId, id: &OrderId) -> Result<Order> {
        let conn = self.db.reader();
        let found = orders::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(conn)
            .await?
            .ok_or(Error::NotFound("order"))?;
        load_order(conn, org, found).await
    }

    /// Orders oldest first, optionally only a customer's or only those with tickets for an event.
    pub async fn list_orders(
        &self,
        org: &OrgId,
        filter: &OrderFilter,
        params: &PageParams,
    ) -> Result<Page<Order>> {
        let conn = self.db.reader();
        let mut select =
            orders::Entity::find().filter(orders::Column::OrganizationId.eq(org.as_str()));
        if let Some(customer) = &filter.customer_id {
            select = select.filter(orders::Column::CustomerId.eq(customer.as_str()));
        }
        if let Some(event) = &filter.event_id {
            select = select.filter(
                orders::Column::Id.in_subquery(
                    Query::select()
                        .column(tickets::Column::OrderId)
                        .from(tickets::Entity)
                        .and_where(tickets::Column::OrganizationId.eq(org.as_str()))
                        .and_where(tickets::Column::EventId.eq(event.as_str()))
                        .to_owned(),
                ),
            );
        }
        let page = fetch_page(conn, select, orders::Column::Id, params, |m| m.id.clone()).await?;
        let next_cursor = page.next_cursor;
        let items = load_orders(conn, org, page.items).await?;
        Ok(Page { items, next_cursor })
    }

    /// The tickets of an event, valid and cancelled, in the order they were issued.
    pub async fn event_tickets(
        &self,
        org: &OrgId,
        event: &EventId,
        params: &PageParams,
    ) -> Result<Page<Ticket>> {
        let conn = self.db.reader();
        events::Entity::find_by_id((org.to_string(), event.to_string()))
            .one(conn)
            .await?
            .ok_or(Error::NotFound("event"))?;
        let select = tickets::Entity::find()
            .filter(tickets::Column::OrganizationId.eq(org.as_str()))
            .filter(tickets::Column::EventId.eq(event.as_str()));
        let page = fetch_page(conn, select, tickets::Column::Id, params, |m| m.id.clone()).await?;
        let next_cursor = page.next_cursor;
        let items = tickets_with_places(conn, org, page.items).await?;
        Ok(Page { items, next_cursor })
    }

    /// Customers by their external ids, for imports whose customer column holds the ids of the
    /// platform the organizer comes from.
    pub async fn customers_by_external_id(
        &self,
        org: &OrgId,
        external_ids: &[String],
    ) -> Result<HashMap<String, CustomerId>> {
        let base =
            customers::Entity::find().filter(customers::Column::OrganizationId.eq(org.as_str()));
        let found = find_in(
            self.db.reader(),
            base,
            customers::Column::ExternalId,
            external_ids,
        )
        .await?;
        Ok(found
            .into_iter()
            .filter_map(|c| Some((c.external_id?, CustomerId::from_db(c.id))))
            .collect())
    }
}

// ---------------------------------------------------------------------------------------------
// The same operations inside a caller's transaction (checkout adds code uses and payment holds
// to the order's transaction, so that all of it commits or none of it does).
// ---------------------------------------------------------------------------------------------

/// Why placing an order inside a caller's transaction failed.
#[derive(Debug)]
pub enum PlaceError {
    /// A concurrent transaction took one of the order's seats (or its external id) first. On
    /// PostgreSQL the caller's transaction is now spoiled: roll it back and run the whole
    /// operation again; the next run's checks see the winner and turn it into a precise 409.
    LostRace(DbErr),
    /// The order is wrong (422) or its places are gone (409): report it.
    Rejected(Error),
}

impl PlaceError {
    /// The error to show when no retry is left.
    pub fn into_error(self) -> Error {
        match self {
            Self::LostRace(_) => Error::conflict(
                "tickets",
                "concurrent orders took seats of this one; try again",
            ),
            Self::Rejected(err) => err,
        }
    }
}

impl From<Failure> for PlaceError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Race(err) => Self::LostRace(err),
            other => Self::Rejected(single_order_error(other)),
        }
    }
}

/// Places one order inside the caller's write transaction, with the same checks and guards as
/// [`OrderService::place_order`] (capacity by conditional updates, seats by the unique index,
/// `order.placed` in the outbox). The caller owns the transaction: it commits, and it runs the
/// operation again on [`PlaceError::LostRace`]. An `external_id` that is already known is a
/// conflict here, not the idempotent answer of `place_order`.
pub async fn place_in_transaction(
    txn: &DatabaseTransaction,
    org: &OrgId,
    new: &NewOrder,
    source: OrderSource,
) -> Result<Order, PlaceError> {
    Ok(plan_and_book(txn, org, new, source).await?)
}

/// Like [`place_in_transaction`], without reading the order back: for callers that read it
/// after their commit, so that the rows every order of a ticket type updates are locked only
/// for the rest of their own writes.
pub async fn book_in_transaction(
    txn: &DatabaseTransaction,
    org: &OrgId,
    new: &NewOrder,
    source: OrderSource,
) -> Result<OrderId, PlaceError> {
    let plans = plan(txn, org, &[(0, new)], source).await?;
    book(txn, org, &plans).await?;
    plans
        .first()
        .map(|p| OrderId::from_db(p.order.id.clone()))
        .ok_or_else(|| PlaceError::Rejected(Error::internal("a planned order went missing")))
}

/// An order checked inside the caller's transaction and not yet written: its id is known, so
/// the caller can write what refers to it before [`write_booking`] takes the counters.
pub struct Booking {
    plans: Vec<PlannedOrder>,
    /// The order as a later read returns it (tickets with their seat and area names).
    order: Order,
}

impl Booking {
    pub fn order_id(&self) -> &OrderId {
        &self.order.id
    }
}

/// Checks one order like [`book_in_transaction`] without writing anything: the first half of a
/// booking whose caller writes its own rows before the hot counters are locked. `stock`, read
/// earlier in the same transaction, spares reading the event's ticket types and areas again.
pub async fn plan_booking(
    txn: &DatabaseTransaction,
    org: &OrgId,
    new: &NewOrder,
    source: OrderSource,
    stock: Option<&EventStock>,
) -> Result<Booking, PlaceError> {
    let known: Vec<&StockRows> = stock.map(|s| &s.rows).into_iter().collect();
    let facts = Facts::load_knowing(txn, org, &[(0, new)], &known)
        .await
        .map_err(Failure::from)?;
    let plans = plan_with(&facts, &[(0, new)], source)?;
    let Some(placed) = plans.first() else {
        return Err(PlaceError::Rejected(Error::internal(
            "a planned order went missing",
        )));
    };
    let order = planned_order(placed, &facts);
    Ok(Booking { plans, order })
}

/// Writes a planned booking (order, tickets, `order.placed`, capacity last) and returns the
/// order as a later read returns it, without reading it back.
pub async fn write_booking(
    txn: &DatabaseTransaction,
    org: &OrgId,
    booking: Booking,
) -> Result<Order, PlaceError> {
    book(txn, org, &booking.plans).await?;
    Ok(booking.order)
}

/// The order a plan writes, as [`load_order`] would read it: times are kept to the microsecond
/// (see `plan_order`), tickets sorted by id, seats and areas named from the planning facts.
fn planned_order(plan: &PlannedOrder, facts: &Facts) -> Order {
    let mut rows: Vec<tickets::Model> = plan.tickets.iter().map(|t| t.row.clone()).collect();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    let seats: HashMap<String, venue_seats::Model> = facts
        .seats_by_id
        .values()
        .chain(facts.seats_by_name.values())
        .filter(|s| {
            rows.iter()
                .any(|t| t.seat_id.as_deref() == Some(s.id.as_str()))
        })
        .map(|s| (s.id.clone(), s.clone()))
        .collect();
    let tickets = rows
        .into_iter()
        .map(|t| ticket_from(t, &seats, &facts.ga_by_id))
        .collect();
    order_from(plan.order.clone(), tickets)
}

/// What cancelling inside a transaction did.
#[derive(Debug)]
pub enum Cancelled {
    /// Cancelled by this call: its tickets are cancelled, their places given back, and
    /// `order.cancelled` is in the outbox.
    Now(Order),
    /// It was cancelled already (by an earlier or a concurrent call): nothing changed.
    Already(Order),
}

/// Cancels an order inside the caller's write transaction: tickets cancelled, places given back
/// to ticket types and GA areas, `order.cancelled` recorded. Conditional on the order's status,
/// so two concurrent cancels give places back once.
pub async fn cancel_in_transaction(
    txn: &DatabaseTransaction,
    org: &OrgId,
    id: &OrderId,
) -> Result<Cancelled> {
    orders::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(txn)
        .await?
        .ok_or(Error::NotFound("order"))?;
    let now = Utc::now();
    let changed = orders::Entity::update_many()
        .col_expr(
            orders::Column::Status,
            Expr::value(OrderStatus::Cancelled.as_str()),
        )
        .col_expr(orders::Column::CancelledAt, Expr::value(now))
        .col_expr(orders::Column::UpdatedAt, Expr::value(now))
        .filter(orders::Column::OrganizationId.eq(org.as_str()))
        .filter(orders::Column::Id.eq(id.as_str()))
        .filter(orders::Column::Status.eq(OrderStatus::Placed.as_str()))
        .exec(txn)
        .await?
        .rows_affected;
    let cancelled = if changed == 0 {
        Vec::new()
    } else {
        let cancelled = cancel_tickets(txn, org, id).await?;
        give_back(txn, org, &cancelled).await?;
        cancelled
    };
    let refreshed = orders::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(txn)
        .await?
        .ok_or(Error::NotFound("order"))?;
    if changed == 0 {
        return Ok(Cancelled::Already(load_order(txn, org, refreshed).await?));
    }
    outbox::record(
        txn,
        org,
        &OrderCancelled(order_summary(&refreshed, &cancelled)),
    )
    .await?;
    Ok(Cancelled::Now(load_order(txn, org, refreshed).await?))
}

/// Reads one order inside the caller's transaction.
pub async fn order_in_transaction(
    txn: &DatabaseTransaction,
    org: &OrgId,
    id: &OrderId,
) -> Result<Order> {
    let found = orders::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(txn)
        .await?
        .ok_or(Error::NotFound("order"))?;
    load_order(txn, org, found).await
}

/// Validates, books and reads back one order inside the caller's transaction.
async fn plan_and_book(
    txn: &DatabaseTransaction,
    org: &OrgId,
    new: &NewOrder,
    source: OrderSource,
) -> Result<Order, Failure> {
    let plans = plan(txn, org, &[(0, new)], source).await?;
    book(txn, org, &plans).await?;
    let Some(placed) = plans.first() else {
        return Err(Failure::Other(Error::internal(
            "a planned order went missing",
        )));
    };
    // Read back rather than echo the plan: the database rounds times (PostgreSQL keeps
    // microseconds), and the answer must equal what a later read returns.
    let stored = orders::Entity::find_by_id((org.to_string(), placed.order.id.clone()))
        .one(txn)
        .await?
        .ok_or(Error::NotFound("order"))?;
    Ok(load_order(txn, org, stored).await?)
}

/// The order an external id already names, if any.
async fn known_order(
    txn: &DatabaseTransaction,
    org: &OrgId,
    raw_external_id: Option<&str>,
) -> Result<Option<Order>> {
    let Some(wanted) = raw_external_id.and_then(|value| external_id(value).ok()) else {
        return Ok(None);
    };
    let found = orders::Entity::find()
        .filter(orders::Column::OrganizationId.eq(org.as_str()))
        .filter(orders::Column::ExternalId.eq(wanted))
        .one(txn)
        .await?;
    match found {
        Some(model) => Ok(Some(load_order(txn, org, model).await?)),
        None => Ok(None),
    }
}

/// The external ids of an ingest by position; missing and repeated ones are problems.
fn ingest_external_ids(orders: &[NewOrder]) -> (HashMap<usize, String>, Vec<Problem>) {
    let mut by_position = HashMap::new();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    let problem = |order, reason: String| Problem {
        order,
        ticket: None,
        field: "external_id",
        reason,
        kind: ProblemKind::Invalid,
    };
    for (index, order) in orders.iter().enumerate() {
        let Some(raw) = order.external_id.as_deref() else {
            problems.push(problem(
                index,
                "is required when ingesting orders, so that sending them again books nothing"
                    .into(),
            ));
            continue;
        };
        match external_id(raw) {
            Err(reason) => problems.push(problem(index, reason)),
            Ok(value) => {
                if let Some(first) = first_seen.get(&value) {
                    problems.push(problem(
                        index,
                        format!(
                            "`{value}` is also the external id of order {first} of this request"
                        ),
                    ));
                } else {
                    first_seen.insert(value.clone(), index);
                    by_position.insert(index, value);
                }
            }
        }
    }
    (by_position, problems)
}

async fn known_external_ids(
    txn: &DatabaseTransaction,
    org: &OrgId,
    external_ids: &HashMap<usize, String>,
) -> Result<HashSet<String>> {
    let wanted: Vec<String> = external_ids.values().cloned().collect();
    let base = orders::Entity::find().filter(orders::Column::OrganizationId.eq(org.as_str()));
    Ok(find_in(txn, base, orders::Column::ExternalId, &wanted)
        .await?
        .into_iter()
        .filter_map(|o| o.external_id)
        .collect())
}

/// `SELECT … WHERE column IN (values)`, in chunks that stay below the parameter limits.
async fn find_in<E, C>(
    conn: &impl ConnectionTrait,
    base: Select<E>,
    column: C,
    values: &[String],
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let mut found = Vec::new();
    for chunk in values.chunks(IN_CHUNK) {
        found.extend(
            base.clone()
                .filter(column.is_in(chunk.iter().cloned()))
                .all(conn)
                .await?,
        );
    }
    Ok(found)
}

fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let set: HashSet<String> = values.collect();
    let mut list: Vec<String> = set.into_iter().collect();
    list.sort_unstable();
    list
}

// ---------------------------------------------------------------------------------------------
// Planning: everything an order needs, checked against the database inside the transaction.
// ---------------------------------------------------------------------------------------------

/// An order checked against the database and ready to write.
struct PlannedOrder {
    /// Position in the request.
    index: usize,
    order: orders::Model,
    tickets: Vec<PlannedTicket>,
}

struct PlannedTicket {
    /// Position in its order.
    index: usize,
    row: tickets::Model,
    /// The GA area's capacity, when the ticket is for one.
    ga_capacity: Option<i64>,
}

/// The rows the orders of a request refer to, loaded with a few batched queries.
#[derive(Default)]
struct Facts {
    customers: HashSet<String>,
    ticket_types: HashMap<String, ticket_types::Model>,
    events: HashMap<String, events::Model>,
    seats_by_id: HashMap<String, venue_seats::Model>,
    seats_by_name: HashMap<(String, SeatNames), venue_seats::Model>,
    ga_by_id: HashMap<String, venue_ga_areas::Model>,
    /// Keyed by venue and lowercased name: organizers do not always match the case.
    ga_by_name: HashMap<(String, String), venue_ga_areas::Model>,
    taken_barcodes: HashSet<String>,
    /// `(event_id, seat_id)` of valid tickets.
    sold_seats: HashSet<(String, String)>,
}

impl Facts {
    async fn load(
        txn: &DatabaseTransaction,
        org: &OrgId,
        items: &[(usize, &NewOrder)],
    ) -> Result<Facts> {
        Self::load_knowing(txn, org, items, &[]).await
    }

    /// Like [`Facts::load`], taking the events' rows from `known` (read earlier in the same
    /// transaction) instead of reading them again, when they cover the request.
    async fn load_knowing(
        txn: &DatabaseTransaction,
        org: &OrgId,
        items: &[(usize, &NewOrder)],
        known: &[&StockRows],
    ) -> Result<Facts> {
        let new_tickets = || items.iter().flat_map(|(_, order)| order.tickets.iter());
        let mut facts = Facts::default();

        let customer_ids = distinct(
            items
                .iter()
                .filter_map(|(_, o)| o.customer_id.as_ref().map(|c| c.to_string())),
        );
        let base =
            customers::Entity::find().filter(customers::Column::OrganizationId.eq(org.as_str()));
        facts.customers = find_in(txn, base, customers::Column::Id, &customer_ids)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();

        let type_ids = distinct(new_tickets().map(|t| t.ticket_type_id.to_string()));
        let given_events = || new_tickets().filter_map(|t| t.event_id.as_ref());
        // What the caller read of the events in this transaction already serves when it holds
        // every ticket type and event the request names.
        let covered = !known.is_empty()
            && type_ids.iter().all(|id| {
                known
                    .iter()
                    .any(|rows| rows.ticket_types.iter().any(|t| &t.id == id))
            })
            && given_events().all(|e| known.iter().any(|rows| e.as_str() == rows.event.id));
        if covered {
            facts.ticket_types = known
                .iter()
                .flat_map(|rows| rows.ticket_types.iter())
                .filter(|t| type_ids.contains(&t.id))
                .map(|t| (t.id.clone(), t.clone()))
                .collect();
            facts.events = known
                .iter()
                .map(|rows| (rows.event.id.clone(), rows.event.clone()))
                .collect();
            let venue_ids = distinct(known.iter().map(|rows| rows.event.venue_id.clone()));
            facts.load_seats(txn, org, items, &venue_ids).await?;
            facts.add_ga_areas(known.iter().flat_map(|rows| rows.ga_areas.iter().cloned()));
        } else {
            let base = ticket_types::Entity::find()
                .filter(ticket_types::Column::OrganizationId.eq(org.as_str()));
            facts.ticket_types = find_in(txn, base, ticket_types::Column::Id, &type_ids)
                .await?
                .into_iter()
                .map(|t| (t.id.clone(), t))
                .collect();
            let event_ids = distinct(
                facts
                    .ticket_types
                    .values()
                    .map(|t| t.event_id.clone())
                    .chain(given_events().map(|e| e.to_string())),
            );
            let base =
                events::Entity::find().filter(events::Column::OrganizationId.eq(org.as_str()));
            facts.events = find_in(txn, base, events::Column::Id, &event_ids)
                .await?
                .into_iter()
                .map(|e| (e.id.clone(), e))
                .collect();
            let venue_ids = distinct(facts.events.values().map(|e| e.venue_id.clone()));
            facts.load_seats(txn, org, items, &venue_ids).await?;
            facts.load_ga_areas(txn, org, &venue_ids).await?;
        }
        let event_ids = distinct(facts.events.keys().cloned());

        let barcodes = distinct(
            new_tickets()
                .filter_map(|t| t.barcode.as_deref().and_then(|b| supplied_barcode(b).ok())),
        );
        let base = tickets::Entity::find().filter(tickets::Column::OrganizationId.eq(org.as_str()));
        facts.taken_barcodes = find_in(txn, base, tickets::Column::Barcode, &barcodes)
            .await?
            .into_iter()
            .map(|t| t.barcode)
            .collect();

        facts.load_sold_seats(txn, org, &event_ids).await?;
        Ok(facts)
    }

    async fn load_seats(
        &mut self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        items: &[(usize, &NewOrder)],
        venue_ids: &[String],
    ) -> Result<()> {
        let new_tickets = || items.iter().flat_map(|(_, order)| order.tickets.iter());
        let seat_ids =
            distinct(new_tickets().filter_map(|t| t.seat_id.as_ref().map(|s| s.to_string())));
        let base = venue_seats::Entity::find()
            .filter(venue_seats::Column::OrganizationId.eq(org.as_str()));
        self.seats_by_id = find_in(txn, base.clone(), venue_seats::Column::Id, &seat_ids)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let labels = distinct(
            new_tickets().filter_map(|t| t.seat.as_ref().map(|s| s.seat_label.trim().to_string())),
        );
        if labels.is_empty() || venue_ids.is_empty() {
            return Ok(());
        }
        let base = base.filter(venue_seats::Column::VenueId.is_in(venue_ids.iter().cloned()));
        for seat in find_in(txn, base, venue_seats::Column::SeatLabel, &labels).await? {
            let names = SeatNames {
                section_name: seat.section_name.clone(),
                group_name: seat.group_name.clone(),
                row_name: seat.row_name.clone(),
                seat_label: seat.seat_label.clone(),
            };
            self.seats_by_name
                .insert((seat.venue_id.clone(), names), seat);
        }
        Ok(())
    }

    async fn load_ga_areas(
        &mut self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        venue_ids: &[String],
    ) -> Result<()> {
        let base = venue_ga_areas::Entity::find()
            .filter(venue_ga_areas::Column::OrganizationId.eq(org.as_str()));
        let areas = find_in(txn, base, venue_ga_areas::Column::VenueId, venue_ids).await?;
        self.add_ga_areas(areas.into_iter());
        Ok(())
    }

    fn add_ga_areas(&mut self, areas: impl Iterator<Item = venue_ga_areas::Model>) {
        for area in areas {
            self.ga_by_name.insert(
                (area.venue_id.clone(), area.name.trim().to_lowercase()),
                area.clone(),
            );
            self.ga_by_id.insert(area.id.clone(), area);
        }
    }

    /// The seats already sold for the events of the request, among the seats it names.
    async fn load_sold_seats(
        &mut self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        event_ids: &[String],
    ) -> Result<()> {
        let seat_ids = distinct(
            self.seats_by_id
                .keys()
                .cloned()
                .chain(self.seats_by_name.values().map(|s| s.id.clone())),
        );
        if seat_ids.is_empty() {
            return Ok(());
        }
        for events_chunk in event_ids.chunks(100) {
            let base = tickets::Entity::find()
                .filter(tickets::Column::OrganizationId.eq(org.as_str()))
                .filter(tickets::Column::Status.eq(TicketStatus::Valid.as_str()))
                .filter(tickets::Column::EventId.is_in(events_chunk.iter().cloned()));
            for ticket in find_in(txn, base, tickets::Column::SeatId, &seat_ids).await? {
                if let Some(seat) = ticket.seat_id {
                    self.sold_seats.insert((ticket.event_id, seat));
                }
            }
        }
        Ok(())
    }
}

/// Collects the problems of one order.
struct Report<'p> {
    order: usize,
    problems: &'p mut Vec<Problem>,
}

impl Report<'_> {
    fn add(
        &mut self,
        ticket: Option<usize>,
        field: &'static str,
        reason: String,
        kind: ProblemKind,
    ) {
        self.problems.push(Problem {
            order: self.order,
            ticket,
            field,
            reason,
            kind,
        });
    }

    fn invalid(&mut self, ticket: Option<usize>, field: &'static str, reason: impl Into<String>) {
        self.add(ticket, field, reason.into(), ProblemKind::Invalid);
    }

    fn conflict(&mut self, ticket: Option<usize>, field: &'static str, reason: impl Into<String>) {
        self.add(ticket, field, reason.into(), ProblemKind::Conflict);
    }
}

/// Checks every order of `items` against the database; all problems, or all plans.
async fn plan(
    txn: &DatabaseTransaction,
    org: &OrgId,
    items: &[(usize, &NewOrder)],
    source: OrderSource,
) -> Result<Vec<PlannedOrder>, Failure> {
    let facts = Facts::load(txn, org, items).await?;
    plan_with(&facts, items, source)
}

/// Checks every order of `items` against facts already loaded; all problems, or all plans.
fn plan_with(
    facts: &Facts,
    items: &[(usize, &NewOrder)],
    source: OrderSource,
) -> Result<Vec<PlannedOrder>, Failure> {
    let mut problems = Vec::new();
    let mut plans = Vec::new();
    for (index, new) in items {
        let mut report = Report {
            order: *index,
            problems: &mut problems,
        };
        if let Some(planned) = plan_order(*index, new, source, facts, &mut report) {
            plans.push(planned);
        }
    }
    report_repeats(&plans, &mut problems);
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(Failure::Problems(problems))
    }
}

fn plan_order(
    index: usize,
    new: &NewOrder,
    source: OrderSource,
    facts: &Facts,
    report: &mut Report<'_>,
) -> Option<PlannedOrder> {
    let problems_before = report.problems.len();
    // To the microsecond, as PostgreSQL keeps it: what is written is then exactly what a later
    // read returns, on both backends, so a booking can answer without reading its order back.
    let now = to_micros(Utc::now());
    let external_id = match new.external_id.as_deref().map(external_id) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(reason)) => {
            report.invalid(None, "external_id", reason);
            None
        }
    };
    let created_at = new.created_at.map_or(now, to_micros);
    if created_at > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
        report.invalid(None, "created_at", "is in the future");
    }
    if let Some(customer) = &new.customer_id {
        if !facts.customers.contains(customer.as_str()) {
            report.invalid(
                None,
                "customer_id",
                format!("no customer {customer} in this organization"),
            );
        }
    }
    if new.tickets.is_empty() {
        report.invalid(None, "tickets", "an order needs at least one ticket");
    }
    if new.tickets.len() > MAX_TICKETS_PER_ORDER {
        report.invalid(
            None,
            "tickets",
            format!("at most {MAX_TICKETS_PER_ORDER} tickets per order"),
        );
        return None;
    }
    let order_id = OrderId::generate().into_string();
    let customer_id = new.customer_id.as_ref().map(|c| c.to_string());
    let mut currency: Option<String> = None;
    let mut planned = Vec::new();
    for (position, ticket) in new.tickets.iter().enumerate() {
        let Some(resolved) = resolve_ticket(position, ticket, source, facts, report) else {
            continue;
        };
        let order_currency = currency.get_or_insert_with(|| resolved.ticket_type.currency.clone());
        if *order_currency != resolved.ticket_type.currency {
            report.invalid(
                Some(position),
                "ticket_type_id",
                format!(
                    "its currency {} differs from the order's {order_currency}",
                    resolved.ticket_type.currency
                ),
            );
            continue;
        }
        planned.push(PlannedTicket {
            index: position,
            ga_capacity: resolved.ga_area.map(|a| a.capacity),
            row: tickets::Model {
                organization_id: resolved.ticket_type.organization_id.clone(),
                id: TicketId::generate().into_string(),
                order_id: order_id.clone(),
                event_id: resolved.ticket_type.event_id.clone(),
                ticket_type_id: resolved.ticket_type.id.clone(),
                customer_id: customer_id.clone(),
                seat_id: resolved.seat.map(|s| s.id.clone()),
                ga_area_id: resolved.ga_area.map(|a| a.id.clone()),
                price_minor: resolved.price_minor,
                currency: resolved.ticket_type.currency.clone(),
                barcode: resolved.barcode,
                delivery_type: resolved.delivery_type.as_str().to_string(),
                status: TicketStatus::Valid.as_str().to_string(),
                created_at,
            },
        });
    }
    if report.problems.len() > problems_before {
        return None;
    }
    let first = planned.first()?;
    Some(PlannedOrder {
        index,
        order: orders::Model {
            organization_id: first.row.organization_id.clone(),
            id: order_id,
            external_id,
            customer_id,
            channel: new.channel.as_str().to_string(),
            status: OrderStatus::Placed.as_str().to_string(),
            total_minor: planned.iter().map(|t| t.row.price_minor).sum(),
            currency: first.row.currency.clone(),
            source: source.as_str().to_string(),
            created_at,
            updated_at: now,
            cancelled_at: None,
        },
        tickets: planned,
    })
}

/// A time cut to whole microseconds (PostgreSQL's precision).
fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(at.nanosecond() / 1_000 * 1_000)
        .unwrap_or(at)
}

/// A ticket of a request, resolved to the rows it refers to.
struct Resolved<'f> {
    ticket_type: &'f ticket_types::Model,
    seat: Option<&'f venue_seats::Model>,
    ga_area: Option<&'f venue_ga_areas::Model>,
    price_minor: i64,
    delivery_type: DeliveryType,
    barcode: String,
}

fn resolve_ticket<'f>(
    position: usize,
    new: &NewTicket,
    source: OrderSource,
    facts: &'f Facts,
    report: &mut Report<'_>,
) -> Option<Resolved<'f>> {
    let at = Some(position);
    let problems_before = report.problems.len();
    let Some(ticket_type) = facts.ticket_types.get(new.ticket_type_id.as_str()) else {
        report.invalid(
            at,
            "ticket_type_id",
            format!("no ticket type {} in this organization", new.ticket_type_id),
        );
        if let Some(event) = &new.event_id {
            if !facts.events.contains_key(event.as_str()) {
                report.invalid(
                    at,
                    "event_id",
                    format!("no event {event} in this organization"),
                );
            }
        }
        return None;
    };
    let Some(event) = facts.events.get(&ticket_type.event_id) else {
        report.invalid(
            at,
            "ticket_type_id",
            "the ticket type's event no longer exists",
        );
        return None;
    };
    if let Some(given) = &new.event_id {
        if !facts.events.contains_key(given.as_str()) {
            report.invalid(
                at,
                "event_id",
                format!("no event {given} in this organization"),
            );
        } else if given.as_str() != event.id {
            report.invalid(
                at,
                "event_id",
                format!(
                    "ticket type {} belongs to event {}, not to {given}",
                    ticket_type.id, event.id
                ),
            );
        }
    }
    if !source.is_history() && event.status != EventStatus::Scheduled.as_str() {
        report.invalid(
            at,
            "ticket_type_id",
            format!("its event is {}, not on sale", event.status),
        );
    }
    let (seat, ga_area) = resolve_place(position, new, ticket_type, event, facts, report);
    let price_minor = new.price_minor.unwrap_or(ticket_type.price_minor);
    if !(0..1_000_000_000_000).contains(&price_minor) {
        report.invalid(
            at,
            "price_minor",
            "must be between 0 and 999999999999 minor units",
        );
    }
    let barcode = match new.barcode.as_deref().map(supplied_barcode) {
        None => generate_barcode(),
        Some(Err(reason)) => {
            report.invalid(at, "barcode", reason);
            String::new()
        }
        Some(Ok(barcode)) => {
            if facts.taken_barcodes.contains(&barcode) {
                report.conflict(
                    at,
                    "barcode",
                    format!("barcode {barcode} is already used by another ticket"),
                );
            }
            barcode
        }
    };
    if report.problems.len() > problems_before {
        return None;
    }
    Some(Resolved {
        ticket_type,
        seat,
        ga_area,
        price_minor,
        delivery_type: new.delivery_type.unwrap_or_default(),
        barcode,
    })
}

type Place<'f> = (
    Option<&'f venue_seats::Model>,
    Option<&'f venue_ga_areas::Model>,
);

/// The seat or GA area of a ticket. A ticket type tied to a GA area sells that area; any other
/// ticket type needs a seat of the event's venue, or a GA area of it named by `ga_name`.
fn resolve_place<'f>(
    position: usize,
    new: &NewTicket,
    ticket_type: &ticket_types::Model,
    event: &events::Model,
    facts: &'f Facts,
    report: &mut Report<'_>,
) -> Place<'f> {
    let at = Some(position);
    let wants_seat = new.seat_id.is_some() || new.seat.is_some();
    let ga_name = new
        .ga_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    if new.seat_id.is_some() && new.seat.is_some() {
        report.invalid(at, "seat_id", "give seat_id or seat, not both");
        return (None, None);
    }
    if wants_seat && ga_name.is_some() {
        report.invalid(at, "ga_name", "a ticket has a seat or a ga_name, not both");
        return (None, None);
    }
    if let Some(area_id) = &ticket_type.ga_area_id {
        return resolve_typed_area(
            position,
            area_id,
            ga_name,
            wants_seat,
            ticket_type,
            facts,
            report,
        );
    }
    if let Some(name) = ga_name {
        let area = facts
            .ga_by_name
            .get(&(event.venue_id.clone(), name.to_lowercase()));
        if area.is_none() {
            report.invalid(
                at,
                "ga_name",
                format!("no general-admission area named `{name}` in the event's venue"),
            );
        }
        return (None, area);
    }
    let (field, seat) = match (&new.seat_id, &new.seat) {
        (Some(id), _) => (
            "seat_id",
            resolve_seat_id(position, id, event, facts, report),
        ),
        (None, Some(names)) => (
            "seat",
            resolve_seat_names(position, names, event, facts, report),
        ),
        (None, None) => {
            report.invalid(
                at,
                "seat",
                format!(
                    "ticket type `{}` is seated: give seat_id or seat (or ga_name for a general-admission area)",
                    ticket_type.name
                ),
            );
            return (None, None);
        }
    };
    if let Some(seat) = seat {
        if facts
            .sold_seats
            .contains(&(event.id.clone(), seat.id.clone()))
        {
            report.conflict(
                at,
                field,
                format!(
                    "seat {} is already sold for this event",
                    describe_seat(
                        &seat.section_name,
                        &seat.group_name,
                        &seat.row_name,
                        &seat.seat_label
                    )
                ),
            );
        }
    }
    (seat, None)
}

fn resolve_typed_area<'f>(
    position: usize,
    area_id: &str,
    ga_name: Option<&str>,
    wants_seat: bool,
    ticket_type: &ticket_types::Model,
    facts: &'f Facts,
    report: &mut Report<'_>,
) -> Place<'f> {
    let at = Some(position);
    if wants_seat {
        report.invalid(
            at,
            "seat",
            format!(
                "ticket type `{}` is for general admission; it takes no seat",
                ticket_type.name
            ),
        );
        return (None, None);
    }
    let Some(area) = facts.ga_by_id.get(area_id) else {
        report.invalid(
            at,
            "ticket_type_id",
            "its general-admission area is not in the event's venue",
        );
        return (None, None);
    };
    if let Some(name) = ga_name {
        if name.to_lowercase() != area.name.trim().to_lowercase() {
            report.invalid(
                at,
                "ga_name",
                format!(
                    "ticket type `{}` is for the area `{}`, not `{name}`",
                    ticket_type.name, area.name
                ),
            );
        }
    }
    (None, Some(area))
}

fn resolve_seat_id<'f>(
    position: usize,
    id: &SeatId,
    event: &events::Model,
    facts: &'f Facts,
    report: &mut Report<'_>,
) -> Option<&'f venue_seats::Model> {
    let Some(seat) = facts.seats_by_id.get(id.as_str()) else {
        report.invalid(
            Some(position),
            "seat_id",
            format!("no seat {id} in this organization"),
        );
        return None;
    };
    if seat.venue_id != event.venue_id {
        report.invalid(
            Some(position),
            "seat_id",
            format!("seat {id} belongs to another venue than the event's"),
        );
        return None;
    }
    Some(seat)
}

fn resolve_seat_names<'f>(
    position: usize,
    names: &SeatNames,
    event: &events::Model,
    facts: &'f Facts,
    report: &mut Report<'_>,
) -> Option<&'f venue_seats::Model> {
    let names = names.trimmed();
    if names.seat_label.is_empty() {
        report.invalid(Some(position), "seat", "seat_label cannot be empty");
        return None;
    }
    let seat = facts
        .seats_by_name
        .get(&(event.venue_id.clone(), names.clone()));
    if seat.is_none() {
        report.invalid(
            Some(position),
            "seat",
            format!(
                "no seat {} in the event's venue",
                describe_seat(
                    &names.section_name,
                    &names.group_name,
                    &names.row_name,
                    &names.seat_label
                )
            ),
        );
    }
    seat
}

/// A seat or barcode may appear once in a request: the second one is a problem too.
fn report_repeats(plans: &[PlannedOrder], problems: &mut Vec<Problem>) {
    let mut seats = HashSet::new();
    let mut barcodes = HashSet::new();
    for plan in plans {
        for ticket in &plan.tickets {
            let problem = |field: &'static str, reason: String| Problem {
                order: plan.index,
                ticket: Some(ticket.index),
                field,
                reason,
                kind: ProblemKind::Invalid,
            };
            if let Some(seat) = &ticket.row.seat_id {
                if !seats.insert((ticket.row.event_id.as_str(), seat.as_str())) {
                    problems.push(problem(
                        "seat",
                        format!("seat {seat} is sold twice for the same event in this request"),
                    ));
                }
            }
            if !barcodes.insert(ticket.row.barcode.as_str()) {
                problems.push(problem(
                    "barcode",
                    format!(
                        "barcode {} appears twice in this request",
                        ticket.row.barcode
                    ),
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Booking: capacity, rows, outbox.
// ---------------------------------------------------------------------------------------------

/// Writes planned orders: the orders first (so that a concurrent order with the same external id
/// waits on the unique index and loses), then tickets (seats wait on their unique index), then
/// the outbox, and capacity last: the counters are rows every order of a ticket type updates,
/// so their locks are taken as late as possible and held only until commit. Every order takes
/// its locks in the same order (seats sorted, then counters by key), so none deadlock.
async fn book(
    txn: &DatabaseTransaction,
    org: &OrgId,
    plans: &[PlannedOrder],
) -> Result<(), Failure> {
    insert_plans(txn, org, &plans.iter().collect::<Vec<_>>()).await?;
    take_capacity(txn, org, plans).await?;
    Ok(())
}

/// Writes planned orders: their orders, tickets and `order.placed` events, a multi-row insert
/// per table. Tickets go in seat order, so that two transactions wanting the same seats lock
/// them in the same order and never deadlock.
async fn insert_plans(
    txn: &DatabaseTransaction,
    org: &OrgId,
    plans: &[&PlannedOrder],
) -> Result<(), Failure> {
    let order_rows: Vec<orders::ActiveModel> = plans
        .iter()
        .map(|p| p.order.clone().into_active_model())
        .collect();
    insert_rows(txn, order_rows).await.map_err(race_or_error)?;
    let mut ticket_rows: Vec<&tickets::Model> = plans
        .iter()
        .flat_map(|p| p.tickets.iter().map(|t| &t.row))
        .collect();
    ticket_rows.sort_by(|a, b| (&a.event_id, &a.seat_id).cmp(&(&b.event_id, &b.seat_id)));
    let ticket_rows: Vec<tickets::ActiveModel> = ticket_rows
        .into_iter()
        .map(|t| t.clone().into_active_model())
        .collect();
    insert_rows(txn, ticket_rows).await.map_err(race_or_error)?;
    let placed: Vec<OrderPlaced> = plans
        .iter()
        .map(|plan| {
            let rows: Vec<tickets::Model> = plan.tickets.iter().map(|t| t.row.clone()).collect();
            OrderPlaced(order_summary(&plan.order, &rows))
        })
        .collect();
    outbox::record_many(txn, org, &placed).await?;
    Ok(())
}

/// How many places a request takes from one counter, and the first ticket that takes one.
struct Demand {
    count: i64,
    order: usize,
    ticket: usize,
    capacity: Option<i64>,
}

fn demand_per<K: Ord>(
    plans: &[PlannedOrder],
    key: impl Fn(&PlannedTicket) -> Option<K>,
) -> BTreeMap<K, Demand> {
    let mut demand: BTreeMap<K, Demand> = BTreeMap::new();
    for plan in plans {
        for ticket in &plan.tickets {
            if let Some(k) = key(ticket) {
                demand
                    .entry(k)
                    .or_insert(Demand {
                        count: 0,
                        order: plan.index,
                        ticket: ticket.index,
                        capacity: ticket.ga_capacity,
                    })
                    .count += 1;
            }
        }
    }
    demand
}

/// Takes the places of every ticket type and GA area the plans need, each with one conditional
/// update in key order (a fixed lock order: no deadlocks between concurrent orders).
async fn take_capacity(
    txn: &DatabaseTransaction,
    org: &OrgId,
    plans: &[PlannedOrder],
) -> Result<(), Failure> {
    let mut problems = Vec::new();
    let per_type = demand_per(plans, |t| Some(t.row.ticket_type_id.clone()));
    for (type_id, demand) in &per_type {
        if !take_ticket_type(txn, org, type_id, demand.count).await? {
            let reason = sold_out_reason(txn, org, type_id, demand.count).await?;
            problems.push(Problem {
                order: demand.order,
                ticket: Some(demand.ticket),
                field: "ticket_type_id",
                reason,
                kind: ProblemKind::Conflict,
            });
        }
    }
    let per_area = demand_per(plans, |t| {
        t.row
            .ga_area_id
            .clone()
            .map(|area| (t.row.event_id.clone(), area))
    });
    for ((event_id, area_id), demand) in &per_area {
        let capacity = demand.capacity.unwrap_or(0);
        if !take_ga_area(txn, org, event_id, area_id, demand.count, capacity).await? {
            problems.push(Problem {
                order: demand.order,
                ticket: Some(demand.ticket),
                field: "ga_name",
                reason: format!(
                    "the general-admission area is full for this event: {} needed, capacity {capacity}",
                    demand.count
                ),
                kind: ProblemKind::Conflict,
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Problems(problems))
    }
}

/// `UPDATE ticket_types SET sold = sold + n WHERE … AND (capacity IS NULL OR sold + n <=
/// capacity)`: true when the places were taken.
async fn take_ticket_type(
    txn: &DatabaseTransaction,
    org: &OrgId,
    type_id: &str,
    count: i64,
) -> Result<bool> {
    use ticket_types::Column;
    let result =
        ticket_types::Entity::update_many()
            .col_expr(Column::Sold, Expr::col(Column::Sold).add(count))
            .filter(Column::OrganizationId.eq(org.as_str()))
            .filter(Column::Id.eq(type_id))
            .filter(Condition::any().add(Column::Capacity.is_null()).add(
                Expr::expr(Expr::col(Column::Sold).add(count)).lte(Expr::col(Column::Capacity)),
            ))
            .exec(txn)
            .await?;
    Ok(result.rows_affected == 1)
}

async fn sold_out_reason(
    txn: &DatabaseTransaction,
    org: &OrgId,
    type_id: &str,
    wanted: i64,
) -> Result<String> {
    let found = ticket_types::Entity::find_by_id((org.to_string(), type_id.to_string()))
        .one(txn)
        .await?;
    Ok(match found {
        Some(t) => {
            let left = t.capacity.map_or(0, |c| (c - t.sold).max(0));
            format!(
                "ticket type `{}` is sold out: {left} left, {wanted} wanted",
                t.name
            )
        }
        None => "the ticket type no longer exists".to_string(),
    })
}

/// Takes `count` places of the area for the event with one conditional upsert (the counter is
/// created by the first sale): true when they were taken. One statement on the hot row, which
/// every order of the event updates and which stays locked until commit.
async fn take_ga_area(
    txn: &DatabaseTransaction,
    org: &OrgId,
    event_id: &str,
    area_id: &str,
    count: i64,
    capacity: i64,
) -> Result<bool> {
    use event_ga_sales::Column;
    if count > capacity {
        return Ok(false);
    }
    let counter = event_ga_sales::ActiveModel {
        organization_id: Set(org.to_string()),
        event_id: Set(event_id.to_string()),
        ga_area_id: Set(area_id.to_string()),
        sold: Set(count),
    };
    let sold = || Expr::col((event_ga_sales::Entity, Column::Sold));
    let taken = event_ga_sales::Entity::insert(counter)
        .on_conflict(
            OnConflict::columns([Column::OrganizationId, Column::EventId, Column::GaAreaId])
                .value(Column::Sold, sold().add(count))
                .action_and_where(Expr::expr(sold().add(count)).lte(capacity))
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(taken == 1)
}

/// Marks an order's valid tickets cancelled and returns them (as they were).
async fn cancel_tickets(
    txn: &DatabaseTransaction,
    org: &OrgId,
    order: &OrderId,
) -> Result<Vec<tickets::Model>> {
    let valid = tickets::Entity::find()
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::OrderId.eq(order.as_str()))
        .filter(tickets::Column::Status.eq(TicketStatus::Valid.as_str()))
        .all(txn)
        .await?;
    tickets::Entity::update_many()
        .col_expr(
            tickets::Column::Status,
            Expr::value(TicketStatus::Cancelled.as_str()),
        )
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::OrderId.eq(order.as_str()))
        .filter(tickets::Column::Status.eq(TicketStatus::Valid.as_str()))
        .exec(txn)
        .await?;
    Ok(valid)
}

/// Gives cancelled tickets' places back to their ticket types and GA areas.
async fn give_back(
    txn: &DatabaseTransaction,
    org: &OrgId,
    cancelled: &[tickets::Model],
) -> Result<()> {
    let mut per_type: BTreeMap<&str, i64> = BTreeMap::new();
    let mut per_area: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for ticket in cancelled {
        *per_type.entry(ticket.ticket_type_id.as_str()).or_default() += 1;
        if let Some(area) = &ticket.ga_area_id {
            *per_area
                .entry((ticket.event_id.as_str(), area.as_str()))
                .or_default() += 1;
        }
    }
    for (type_id, count) in per_type {
        use ticket_types::Column;
        ticket_types::Entity::update_many()
            .col_expr(Column::Sold, Expr::col(Column::Sold).sub(count))
            .filter(Column::OrganizationId.eq(org.as_str()))
            .filter(Column::Id.eq(type_id))
            .filter(Column::Sold.gte(count))
            .exec(txn)
            .await?;
    }
    for ((event_id, area_id), count) in per_area {
        use event_ga_sales::Column;
        event_ga_sales::Entity::update_many()
            .col_expr(Column::Sold, Expr::col(Column::Sold).sub(count))
            .filter(Column::OrganizationId.eq(org.as_str()))
            .filter(Column::EventId.eq(event_id))
            .filter(Column::GaAreaId.eq(area_id))
            .filter(Column::Sold.gte(count))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// What modules reacting to `order.placed` / `order.cancelled` need without reading the order.
fn order_summary(order: &orders::Model, tickets: &[tickets::Model]) -> OrderSummary {
    let event_ids = distinct(tickets.iter().map(|t| t.event_id.clone()));
    OrderSummary {
        order_id: OrderId::from_db(order.id.clone()),
        customer_id: order.customer_id.clone().map(CustomerId::from_db),
        event_ids: event_ids.into_iter().map(EventId::from_db).collect(),
        ticket_count: tickets.len() as u64,
        total_minor: order.total_minor,
        currency: order.currency.clone(),
        channel: order.channel.clone(),
        source: order.source.clone(),
        created_at: order.created_at,
    }
}

// ---------------------------------------------------------------------------------------------
// Webhook customers.
// ---------------------------------------------------------------------------------------------

/// A webhook's customer, checked.
struct WebhookCustomerFields {
    external_id: String,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
}

impl WebhookCustomerFields {
    fn check(customer: &WebhookCustomer) -> Result<Self> {
        let mut problems = Vec::new();
        let external_id = external_id(&customer.external_id)
            .map_err(|reason| problems.push(FieldError::new("customer.external_id", reason)))
            .unwrap_or_default();
        let email = validate_email("customer.email", &customer.email)
            .map_err(|err| problems.extend(field_errors(err)))
            .unwrap_or_default();
        let mut text = |field: &str, value: Option<&str>| {
            optional_text(field, value.map(str::to_string), 200)
                .map_err(|err| problems.extend(field_errors(err)))
                .unwrap_or_default()
        };
        let first_name = text("customer.first_name", Some(&customer.first_name));
        let last_name = text("customer.last_name", Some(&customer.last_name));
        let phone = text("customer.phone", customer.phone.as_deref());
        if !problems.is_empty() {
            return Err(Error::invalid_fields(problems));
        }
        Ok(Self {
            external_id,
            email,
            first_name,
            last_name,
            phone,
        })
    }
}

/// The field errors of a validation error (any other error becomes one about the body).
fn field_errors(err: Error) -> Vec<FieldError> {
    match err {
        Error::Validation { fields, .. } => fields,
        other => vec![FieldError::new("body", other.to_string())],
    }
}

/// Finds the webhook's customer by external id, then by email (adopting the external id), and
/// brings name and phone up to date; creates the customer when neither finds one.
async fn upsert_customer(
    txn: &DatabaseTransaction,
    org: &OrgId,
    fields: &WebhookCustomerFields,
) -> Result<CustomerId, Failure> {
    let by_external_id = customers::Entity::find()
        .filter(customers::Column::OrganizationId.eq(org.as_str()))
        .filter(customers::Column::ExternalId.eq(fields.external_id.as_str()))
        .one(txn)
        .await?;
    let found = match by_external_id {
        Some(found) => Some(found),
        None => {
            customers::Entity::find()
                .filter(customers::Column::OrganizationId.eq(org.as_str()))
                .filter(
                    Expr::expr(Func::lower(Expr::col(customers::Column::Email)))
                        .eq(fields.email.as_str()),
                )
                .order_by_asc(customers::Column::Id)
                .one(txn)
                .await?
        }
    };
    match found {
        Some(existing) => update_customer(txn, org, existing, fields).await,
        None => insert_customer(txn, org, fields).await,
    }
}

async fn update_customer(
    txn: &DatabaseTransaction,
    org: &OrgId,
    existing: customers::Model,
    fields: &WebhookCustomerFields,
) -> Result<CustomerId, Failure> {
    let mut wanted = existing.clone();
    if wanted.external_id.is_none() {
        wanted.external_id = Some(fields.external_id.clone());
    }
    wanted.email = Some(fields.email.clone());
    for (slot, value) in [
        (&mut wanted.first_name, &fields.first_name),
        (&mut wanted.last_name, &fields.last_name),
        (&mut wanted.phone, &fields.phone),
    ] {
        if value.is_some() {
            slot.clone_from(value);
        }
    }
    if wanted != existing {
        let mut active = existing.clone().into_active_model();
        active.external_id = Set(wanted.external_id.clone());
        active.email = Set(wanted.email.clone());
        active.first_name = Set(wanted.first_name.clone());
        active.last_name = Set(wanted.last_name.clone());
        active.phone = Set(wanted.phone.clone());
        active.updated_at = Set(Utc::now());
        customers::Entity::update(active)
            .exec(txn)
            .await
            .map_err(race_or_error)?;
        let id = CustomerId::from_db(existing.id.clone());
        outbox::record(txn, org, &CustomerChanged::new(id, CustomerChange::Updated)).await?;
    }
    Ok(CustomerId::from_db(existing.id))
}

/// Inserts the customer; a concurrent delivery that inserted the same external id first makes
/// ours a no-op, and the caller's retry then finds that customer.
async fn insert_customer(
    txn: &DatabaseTransaction,
    org: &OrgId,
    fields: &WebhookCustomerFields,
) -> Result<CustomerId, Failure> {
    let now = Utc::now();
    let id = CustomerId::generate();
    let row = customers::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        external_id: Set(Some(fields.external_id.clone())),
        first_name: Set(fields.first_name.clone()),
        last_name: Set(fields.last_name.clone()),
        email: Set(Some(fields.email.clone())),
        phone: Set(fields.phone.clone()),
        subscriber: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let inserted = customers::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                customers::Column::OrganizationId,
                customers::Column::ExternalId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Err(Failure::Race(DbErr::Custom(
            "a concurrent delivery created the same customer".into(),
        )));
    }
    outbox::record(
        txn,
        org,
        &CustomerChanged::new(id.clone(), CustomerChange::Created),
    )
    .await?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Reading orders back.
// ---------------------------------------------------------------------------------------------

async fn load_order(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    model: orders::Model,
) -> Result<Order> {
    load_orders(conn, org, vec![model])
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound("order"))
}

/// Orders with their tickets: one query for the tickets of all of them.
async fn load_orders(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    models: Vec<orders::Model>,
) -> Result<Vec<Order>> {
    let ids: Vec<String> = models.iter().map(|m| m.id.clone()).collect();
    let base = tickets::Entity::find().filter(tickets::Column::OrganizationId.eq(org.as_str()));
    let mut rows = find_in(conn, base, tickets::Column::OrderId, &ids).await?;
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    let mut by_order: HashMap<String, Vec<Ticket>> = HashMap::new();
    for ticket in tickets_with_places(conn, org, rows).await? {
        by_order
            .entry(ticket.order_id.to_string())
            .or_default()
            .push(ticket);
    }
    Ok(models
        .into_iter()
        .map(|m| {
            let tickets = by_order.remove(&m.id).unwrap_or_default();
            order_from(m, tickets)
        })
        .collect())
}

/// Tickets with their seat and GA area names (one query each for all of them).
async fn tickets_with_places(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    rows: Vec<tickets::Model>,
) -> Result<Vec<Ticket>> {
    let seat_ids = distinct(rows.iter().filter_map(|t| t.seat_id.clone()));
    let base =
        venue_seats::Entity::find().filter(venue_seats::Column::OrganizationId.eq(org.as_str()));
    let seats: HashMap<String, venue_seats::Model> =
        find_in(conn, base, venue_seats::Column::Id, &seat_ids)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
    let area_ids = distinct(rows.iter().filter_map(|t| t.ga_area_id.clone()));
    let base = venue_ga_areas::Entity::find()
        .filter(venue_ga_areas::Column::OrganizationId.eq(org.as_str()));
    let areas: HashMap<String, venue_ga_areas::Model> =
        find_in(conn, base, venue_ga_areas::Column::Id, &area_ids)
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
    Ok(rows
        .into_iter()
        .map(|t| ticket_from(t, &seats, &areas))
        .collect())
}

fn order_from(m: orders::Model, tickets: Vec<Ticket>) -> Order {
    Order {
        id: OrderId::from_db(m.id),
        external_id: m.external_id,
        customer_id: m.customer_id.map(CustomerId::from_db),
        channel: Channel::from_db(&m.channel),
        status: OrderStatus::from_db(&m.status),
        total_minor: m.total_minor,
        currency: m.currency,
        source: OrderSource::from_db(&m.source),
        created_at: m.created_at,
        cancelled_at: m.cancelled_at,
        tickets,
    }
}

fn ticket_from(
    t: tickets::Model,
    seats: &HashMap<String, venue_seats::Model>,
    areas: &HashMap<String, venue_ga_areas::Model>,
) -> Ticket {
    let seat = t
        .seat_id
        .as_ref()
        .and_then(|id| seats.get(id))
        .map(|s| TicketSeat {
            id: SeatId::from_db(s.id.clone()),
            section_name: s.section_name.clone(),
            group_name: s.group_name.clone(),
            row_name: s.row_name.clone(),
            seat_label: s.seat_label.clone(),
        });
    let ga_area = t
        .ga_area_id
        .as_ref()
        .and_then(|id| areas.get(id))
        .map(|a| TicketGaArea {
            id: GaAreaId::from_db(a.id.clone()),
            name: a.name.clone(),
        });
    Ticket {
        id: TicketId::from_db(t.id),
        order_id: OrderId::from_db(t.order_id),
        event_id: EventId::from_db(t.event_id),
        ticket_type_id: TicketTypeId::from_db(t.ticket_type_id),
        customer_id: t.customer_id.map(CustomerId::from_db),
        seat,
        ga_area,
        price_minor: t.price_minor,
        currency: t.currency,
        barcode: t.barcode,
        delivery_type: DeliveryType::from_db(&t.delivery_type),
        status: TicketStatus::from_db(&t.status),
    }
}
