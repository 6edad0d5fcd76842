//! The placing operations inside a caller's transaction: checkout adds code uses and payment
//! holds to the order's transaction, so that all of it commits or none of it does.

use fullhouse_core::{Error, OrgId, Result};
use sea_orm::{DatabaseTransaction, DbErr, EntityTrait};
use std::collections::HashMap;

use super::{
    book, load_order, order_from, plan, plan_and_book, plan_with, single_order_error, ticket_from,
    Facts, Failure, PlannedOrder,
};
use crate::model::ids::*;
use crate::model::orders::*;
use crate::service::sale_facts::{EventStock, StockRows};
use crate::store::{orders, tickets, venue_seats};

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
    pub(super) plans: Vec<PlannedOrder>,
    /// The order as a later read returns it (tickets with their seat and area names).
    pub(super) order: Order,
}

impl Booking {
    pub fn order_id(&self) -> &OrderId {
        &self.order.id
    }

    /// Places the order as awaiting payment rather than paid: an online sale that holds its
    /// seats and places until checkout marks it paid ([`super::mark_paid_in_transaction`]) or
    /// releases it. Ticketing's own ways in (its API, imports, webhooks) record sales that are
    /// paid, so only checkout asks for this, and the API takes no status.
    pub fn hold_for_payment(&mut self) {
        for plan in &mut self.plans {
            plan.order.status = OrderStatus::AwaitingPayment.as_str().to_string();
        }
        self.order.status = OrderStatus::AwaitingPayment;
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
pub(super) fn planned_order(plan: &PlannedOrder, facts: &Facts) -> Order {
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
