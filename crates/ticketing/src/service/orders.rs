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

//!
//! The file holds the service and its errors; the steps live beside it: `plan` (checks against
//! the database), `book` (rows, outbox, capacity), `transaction` (the same inside a caller's
//! transaction), `status` (payment and release), `grouped` (orders placed together), `webhook`
//! (an external platform's customer) and `read` (orders read back).

mod book;
mod grouped;
mod holders;
mod plan;
mod read;
mod status;
mod transaction;
mod webhook;

use std::collections::{HashMap, HashSet};
use std::future::Future;

use fullhouse_core::error::is_unique_violation;
use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::{Db, Error, FieldError, OrgId, Result};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Select,
};

pub use grouped::{plan_group, take_group_capacity, write_group};
pub use holders::{TicketHolder, MAX_HOLDERS_PAGE};
pub use status::{
    cancel_in_transaction, mark_paid_in_transaction, release_in_transaction, Cancelled,
};
pub use transaction::{
    book_in_transaction, order_in_transaction, place_in_transaction, plan_booking, write_booking,
    Booking, PlaceError,
};

use super::fetch_page;
use crate::model::ids::*;
use crate::model::orders::*;
use crate::store::{customers, events, orders, tickets};
use book::{
    book, demand_per, insert_plans, order_summary, sold_out_reason, take_ga_area, take_ticket_type,
};
use plan::{plan, plan_with, Facts, PlannedOrder, PlannedTicket};
use read::{load_order, load_orders, order_from, ticket_from, tickets_with_places};
use transaction::planned_order;
use webhook::{upsert_customer, WebhookCustomerFields};

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
            referral_code: hook.referral_code,
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

    /// Cancels an open order (awaiting payment or paid) and its tickets and gives their places
    /// back. An order that ended already (expired, cancelled, refunded) is returned unchanged.
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

    /// The orders of `ids` that are the organization's, with their tickets (unknown ids are left
    /// out): one query per 500 ids and one for their tickets, for reports over many orders.
    pub async fn orders_by_id(&self, org: &OrgId, ids: &[OrderId]) -> Result<Vec<Order>> {
        let conn = self.db.reader();
        let ids = distinct(ids.iter().map(ToString::to_string));
        let base = orders::Entity::find().filter(orders::Column::OrganizationId.eq(org.as_str()));
        let models = find_in(conn, base, orders::Column::Id, &ids).await?;
        load_orders(conn, org, models).await
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
