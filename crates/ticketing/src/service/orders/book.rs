//! Booking: the rows of planned orders, their `order.placed` events, and capacity taken last
//! with conditional updates.

use std::collections::BTreeMap;

use fullhouse_core::db::insert_rows;
use fullhouse_core::{events as outbox, OrgId, Result};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use super::{
    distinct, event_ga_sales, race_or_error, Failure, PlannedOrder, PlannedTicket, Problem,
    ProblemKind,
};
use crate::model::ids::*;
use crate::model::orders::OrderStatus;
use crate::outbox::{OrderPlaced, OrderSummary};
use crate::store::{orders, ticket_types, tickets};

/// Writes planned orders: the orders first (so that a concurrent order with the same external id
/// waits on the unique index and loses), then tickets (seats wait on their unique index), then
/// the outbox, and capacity last: the counters are rows every order of a ticket type updates,
/// so their locks are taken as late as possible and held only until commit. Every order takes
/// its locks in the same order (seats sorted, then counters by key), so none deadlock.
pub(super) async fn book(
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
pub(super) async fn insert_plans(
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
pub(super) struct Demand {
    pub(super) count: i64,
    pub(super) order: usize,
    pub(super) ticket: usize,
    pub(super) capacity: Option<i64>,
}

pub(super) fn demand_per<K: Ord>(
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
pub(super) async fn take_capacity(
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
pub(super) async fn take_ticket_type(
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

pub(super) async fn sold_out_reason(
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
pub(super) async fn take_ga_area(
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

/// What modules reacting to `order.placed` / `order.cancelled` need without reading the order.
pub(super) fn order_summary(order: &orders::Model, tickets: &[tickets::Model]) -> OrderSummary {
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
        status: Some(OrderStatus::from_db(&order.status)),
        referral_code: order.referral_code.clone(),
    }
}
