//! How an order moves between its states ([`OrderStatus`]), inside the caller's transaction.
//!
//! ```text
//! awaiting_payment ──pay──▶ paid ──refund──▶ refunded
//!        │   └─hold runs out─▶ expired         │
//!        └──────cancel──────▶ cancelled ◀─cancel┘
//! ```
//!
//! Ticketing places an order `paid` (its API, imports, webhooks, the box office counter) or,
//! when checkout asks for it, `awaiting_payment` (see [`super::Booking::hold_for_payment`]).
//! Checkout, which owns holds and money, moves its orders on with [`mark_paid_in_transaction`]
//! and [`release_in_transaction`] in the same transaction as its own `checkout_orders` row, so
//! the two states are equal at every commit. Ticketing's own cancel (`POST /orders/{id}/cancel`)
//! makes any open order `cancelled`: ticketing moves no money, so it never says `refunded`;
//! checkout follows `order.cancelled` to give the code uses back.
//!
//! Every move is ONE conditional update on the order's status, so two concurrent moves (a
//! payment and the expiry sweep, two cancels) change the order once: the loser changes nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use fullhouse_core::{events as outbox, Error, OrgId, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};

use super::{event_ga_sales, load_order, order_summary};
use crate::model::ids::*;
use crate::model::orders::*;
use crate::outbox::{OrderCancelled, OrderPaid};
use crate::store::{orders, ticket_types, tickets};

/// What releasing (or cancelling) inside a transaction did.
#[derive(Debug)]
pub enum Cancelled {
    /// Released by this call: its tickets are cancelled, their places given back, and
    /// `order.cancelled` is in the outbox.
    Now(Order),
    /// Nothing changed: the order was released already (by an earlier or a concurrent call), or
    /// its state cannot become the one asked for (a paid order does not expire).
    Already(Order),
}

/// Cancels an open order (awaiting payment or paid) inside the caller's write transaction:
/// [`release_in_transaction`] to [`OrderStatus::Cancelled`].
pub async fn cancel_in_transaction(
    txn: &DatabaseTransaction,
    org: &OrgId,
    id: &OrderId,
) -> Result<Cancelled> {
    release_in_transaction(txn, org, id, OrderStatus::Cancelled).await
}

/// Moves an order to the end state `to` (expired, cancelled or refunded) inside the caller's
/// write transaction, from the states [`OrderStatus::released_from`] allows: tickets cancelled,
/// places given back to ticket types and GA areas, `cancelled_at` set, `order.cancelled`
/// recorded (its summary carries `to`). Conditional on the order's status, so two concurrent
/// releases give places back once.
pub async fn release_in_transaction(
    txn: &DatabaseTransaction,
    org: &OrgId,
    id: &OrderId,
    to: OrderStatus,
) -> Result<Cancelled> {
    let from = to.released_from();
    if from.is_empty() {
        return Err(Error::internal(format!(
            "an order cannot be released to {}",
            to.as_str()
        )));
    }
    orders::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(txn)
        .await?
        .ok_or(Error::NotFound("order"))?;
    let now = Utc::now();
    let changed = orders::Entity::update_many()
        .col_expr(orders::Column::Status, Expr::value(to.as_str()))
        .col_expr(orders::Column::CancelledAt, Expr::value(now))
        .col_expr(orders::Column::UpdatedAt, Expr::value(now))
        .filter(orders::Column::OrganizationId.eq(org.as_str()))
        .filter(orders::Column::Id.eq(id.as_str()))
        .filter(orders::Column::Status.is_in(from.iter().map(|s| s.as_str())))
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

/// Marks an order awaiting payment as paid inside the caller's write transaction and records
/// `order.paid`; true when this call moved it. False changes nothing: the order was paid
/// already, or released (a hold that ran out, a cancel through ticketing that checkout has not
/// followed yet), which the caller must not answer as paid.
pub async fn mark_paid_in_transaction(
    txn: &DatabaseTransaction,
    org: &OrgId,
    id: &OrderId,
    paid_at: DateTime<Utc>,
) -> Result<bool> {
    let changed = orders::Entity::update_many()
        .col_expr(
            orders::Column::Status,
            Expr::value(OrderStatus::Paid.as_str()),
        )
        .col_expr(orders::Column::UpdatedAt, Expr::value(paid_at))
        .filter(orders::Column::OrganizationId.eq(org.as_str()))
        .filter(orders::Column::Id.eq(id.as_str()))
        .filter(orders::Column::Status.eq(OrderStatus::AwaitingPayment.as_str()))
        .exec(txn)
        .await?
        .rows_affected;
    if changed == 0 {
        return Ok(false);
    }
    let order = orders::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(txn)
        .await?
        .ok_or(Error::NotFound("order"))?;
    // Checkout's orders are for one event; an order of several names the first.
    let event_id = tickets::Entity::find()
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::OrderId.eq(id.as_str()))
        .order_by_asc(tickets::Column::EventId)
        .one(txn)
        .await?
        .map(|t| t.event_id)
        .ok_or_else(|| Error::internal("a paid order has no tickets"))?;
    let paid = OrderPaid {
        order_id: id.clone(),
        event_id: EventId::from_db(event_id),
        total_minor: order.total_minor,
        currency: order.currency,
        channel: order.channel,
        paid_at,
        customer_id: order.customer_id.map(CustomerId::from_db),
    };
    outbox::record(txn, org, &paid).await?;
    Ok(true)
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
