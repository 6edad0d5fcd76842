//! Orders placed together: checkout gathers the orders that arrive while it is writing and
//! places them in one transaction (see `fullhouse_checkout::service::Checkout::place`). Each
//! order keeps its own answer — one refused order never takes the others down — while the
//! statements are shared: one read for every event of the group, one conditional update per
//! capacity counter when it has room for the whole group, one multi-row insert per table.
//!
//! The guards stay those of one order: capacity by conditional updates, seats by the unique
//! index (a seat raced away by another writer fails the group's insert: the caller places each
//! order again on its own).

use std::collections::{BTreeMap, HashSet};

use fullhouse_core::db::{statement, wanted_rows, SqlType};
use fullhouse_core::{Error, OrgId, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Value,
};

use super::{
    demand_per, event_ga_sales, insert_plans, plan_with, planned_order, single_order_error,
    sold_out_reason, take_ga_area, take_ticket_type, Booking, Facts, Failure, PlaceError,
    PlannedOrder, Problem, ProblemKind,
};
use crate::model::ids::CustomerId;
use crate::model::orders::{NewOrder, Order, OrderSource};
use crate::service::sale_facts::{EventStock, StockRows};
use crate::store::ticket_types;

/// Plans each order of a group on its own (as [`super::plan_booking`] does one), with the
/// facts of the whole group read once; `stocks` are the events' stock read earlier in the
/// same transaction. One answer per order, in order.
pub async fn plan_group(
    txn: &DatabaseTransaction,
    org: &OrgId,
    orders: &[&NewOrder],
    stocks: &[&EventStock],
    source: OrderSource,
) -> Result<Vec<Result<Booking, PlaceError>>> {
    let items: Vec<(usize, &NewOrder)> = orders.iter().copied().enumerate().collect();
    let known: Vec<&StockRows> = stocks.iter().map(|s| &s.rows).collect();
    let facts = Facts::load_knowing(txn, org, &items, &known)
        .await
        .map_err(|e| match Failure::from(e) {
            Failure::Other(err) => err,
            _ => Error::internal("reading the facts of a group of orders"),
        })?;
    Ok(items
        .iter()
        .map(|item| plan_one(&facts, *item, source))
        .collect())
}

fn plan_one(
    facts: &Facts,
    item: (usize, &NewOrder),
    source: OrderSource,
) -> Result<Booking, PlaceError> {
    let plans = plan_with(facts, &[item], source)?;
    let Some(placed) = plans.first() else {
        return Err(PlaceError::Rejected(Error::internal(
            "a planned order went missing",
        )));
    };
    let order = planned_order(placed, facts);
    Ok(Booking { plans, order })
}

impl Booking {
    /// Names the customer of an order planned without one: a storefront buyer created only
    /// once the order is sure to be kept.
    pub fn set_customer(&mut self, customer: &CustomerId) {
        for plan in &mut self.plans {
            plan.order.customer_id = Some(customer.to_string());
        }
        self.order.customer_id = Some(customer.clone());
    }
}

/// A capacity counter: a ticket type, or a general-admission area at an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Counter {
    TicketType(String),
    GaArea { event: String, area: String },
}

/// What one booking takes from one counter.
struct Need {
    count: i64,
    /// The first ticket taking from the counter (where a refusal points).
    ticket: usize,
    /// The area's capacity.
    capacity: i64,
}

fn needs_of(booking: &Booking) -> BTreeMap<Counter, Need> {
    let mut needs = BTreeMap::new();
    for (type_id, demand) in demand_per(&booking.plans, |t| Some(t.row.ticket_type_id.clone())) {
        needs.insert(
            Counter::TicketType(type_id),
            Need {
                count: demand.count,
                ticket: demand.ticket,
                capacity: 0,
            },
        );
    }
    let areas = demand_per(&booking.plans, |t| {
        t.row
            .ga_area_id
            .clone()
            .map(|area| (t.row.event_id.clone(), area))
    });
    for ((event, area), demand) in areas {
        needs.insert(
            Counter::GaArea { event, area },
            Need {
                count: demand.count,
                ticket: demand.ticket,
                capacity: demand.capacity.unwrap_or(0),
            },
        );
    }
    needs
}

/// Takes the places of a group's bookings, counter by counter in key order (ticket types, then
/// areas: the order one booking takes them in, so groups and single orders never deadlock).
/// A counter with room for every booking that needs it is taken with ONE conditional update
/// for all of them; otherwise each booking tries its own, in order. A booking refused by one
/// counter gets back what it took from the others. One answer per booking: `None` when its
/// places are taken, the 409 of a single order otherwise.
pub async fn take_group_capacity(
    txn: &DatabaseTransaction,
    org: &OrgId,
    bookings: &[&Booking],
) -> Result<Vec<Option<Error>>> {
    let needs: Vec<BTreeMap<Counter, Need>> = bookings.iter().map(|b| needs_of(b)).collect();
    let mut counters: Vec<&Counter> = needs.iter().flat_map(|n| n.keys()).collect();
    counters.sort();
    counters.dedup();
    let mut refused: Vec<Option<Error>> = bookings.iter().map(|_| None).collect();
    let mut taken: Vec<Vec<(&Counter, i64)>> = bookings.iter().map(|_| Vec::new()).collect();
    // First every counter at once, each raised by what the whole group needs of it.
    let totals: Vec<(&Counter, i64)> = counters
        .iter()
        .map(|counter| {
            let total = needs
                .iter()
                .filter_map(|n| n.get(*counter))
                .map(|n| n.count)
                .sum();
            (*counter, total)
        })
        .collect();
    let raised = raise_all(txn, org, &totals).await?;
    // Then, counter by counter, the bookings of a counter without room for all, one by one.
    for counter in counters {
        let wanting: Vec<(usize, &Need)> = needs
            .iter()
            .enumerate()
            .filter_map(|(b, n)| n.get(counter).map(|need| (b, need)))
            .collect();
        if raised.contains(counter) {
            for (b, need) in &wanting {
                if let Some(list) = taken.get_mut(*b) {
                    list.push((counter, need.count));
                }
            }
            continue;
        }
        for (b, need) in wanting {
            if refused.get(b).is_some_and(Option::is_some) {
                continue;
            }
            if take(txn, org, counter, need.count, need.capacity).await? {
                if let Some(list) = taken.get_mut(b) {
                    list.push((counter, need.count));
                }
            } else if let Some(slot) = refused.get_mut(b) {
                *slot = Some(refusal(txn, org, counter, need).await?);
            }
        }
    }
    for (b, answer) in refused.iter().enumerate() {
        if answer.is_none() {
            continue;
        }
        for (counter, count) in taken.get(b).into_iter().flatten() {
            give_back(txn, org, counter, *count).await?;
        }
    }
    Ok(refused)
}

/// Raises every counter by its total, where it has room for it: one statement for the ticket
/// types and one for the areas, each a conditional update per row exactly like a single
/// order's; returns the counters raised.
async fn raise_all(
    txn: &DatabaseTransaction,
    org: &OrgId,
    totals: &[(&Counter, i64)],
) -> Result<HashSet<Counter>> {
    let backend = txn.get_database_backend();
    let text = |v: &str| Value::String(Some(Box::new(v.to_string())));
    let mut raised = HashSet::new();
    let types: Vec<(&String, i64)> = totals
        .iter()
        .filter_map(|(c, n)| match c {
            Counter::TicketType(id) => Some((id, *n)),
            Counter::GaArea { .. } => None,
        })
        .collect();
    lock_in_order(txn, org, totals).await?;
    for chunk in types.chunks(SET_CHUNK) {
        let mut values = vec![text(org.as_str())];
        let rows: Vec<Vec<Value>> = chunk
            .iter()
            .map(|(id, n)| vec![text(id), Value::BigInt(Some(*n))])
            .collect();
        let wanted = wanted_rows(
            backend,
            "wanted",
            &[("type_id", SqlType::Text), ("n", SqlType::BigInt)],
            &rows,
            &mut values,
        );
        let sql = format!(
            "WITH {wanted} \
             UPDATE ticket_types SET sold = ticket_types.sold + wanted.n FROM wanted \
             WHERE ticket_types.organization_id = $1 AND ticket_types.id = wanted.type_id \
               AND (ticket_types.capacity IS NULL OR ticket_types.sold + wanted.n <= ticket_types.capacity) \
             RETURNING id"
        );
        for row in txn.query_all(statement(backend, &sql, values)).await? {
            raised.insert(Counter::TicketType(row.try_get::<String>("", "id")?));
        }
    }
    let areas: Vec<(&String, &String, i64)> = totals
        .iter()
        .filter_map(|(c, n)| match c {
            Counter::GaArea { event, area } => Some((event, area, *n)),
            Counter::TicketType(_) => None,
        })
        .collect();
    for chunk in areas.chunks(SET_CHUNK) {
        let mut values = vec![text(org.as_str())];
        let rows: Vec<Vec<Value>> = chunk
            .iter()
            .map(|(event, area, n)| vec![text(event), text(area), Value::BigInt(Some(*n))])
            .collect();
        let wanted = wanted_rows(
            backend,
            "wanted",
            &[
                ("event_id", SqlType::Text),
                ("ga_area_id", SqlType::Text),
                ("n", SqlType::BigInt),
            ],
            &rows,
            &mut values,
        );
        // The counter row is created by the first sale. `CROSS JOIN` makes SQLite look each area
        // up by its key; the `WHERE` keeps it from reading `ON CONFLICT` as a join constraint.
        let sql = format!(
            "WITH {wanted} \
             INSERT INTO event_ga_sales (organization_id, event_id, ga_area_id, sold) \
             SELECT $1, wanted.event_id, wanted.ga_area_id, wanted.n \
             FROM wanted CROSS JOIN venue_ga_areas AS area \
             WHERE area.organization_id = $1 AND area.id = wanted.ga_area_id AND wanted.n <= area.capacity \
             ON CONFLICT (organization_id, event_id, ga_area_id) \
             DO UPDATE SET sold = event_ga_sales.sold + excluded.sold \
             WHERE event_ga_sales.sold + excluded.sold <= (SELECT capacity FROM venue_ga_areas \
                                                           WHERE organization_id = $1 AND id = excluded.ga_area_id) \
             RETURNING event_id, ga_area_id"
        );
        for row in txn.query_all(statement(backend, &sql, values)).await? {
            raised.insert(Counter::GaArea {
                event: row.try_get::<String>("", "event_id")?,
                area: row.try_get::<String>("", "ga_area_id")?,
            });
        }
    }
    Ok(raised)
}

/// On PostgreSQL, locks the counter rows that exist in key order before a set statement
/// raises them in whatever order it meets them: concurrent groups then queue for the rows
/// instead of deadlocking. (SQLite has one writer at a time: nothing to order.)
async fn lock_in_order(
    txn: &DatabaseTransaction,
    org: &OrgId,
    totals: &[(&Counter, i64)],
) -> Result<()> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let type_ids: Vec<String> = totals
        .iter()
        .filter_map(|(c, _)| match c {
            Counter::TicketType(id) => Some(id.clone()),
            Counter::GaArea { .. } => None,
        })
        .collect();
    for chunk in type_ids.chunks(SET_CHUNK) {
        ticket_types::Entity::find()
            .select_only()
            .column(ticket_types::Column::Id)
            .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
            .filter(ticket_types::Column::Id.is_in(chunk.iter().cloned()))
            .order_by_asc(ticket_types::Column::Id)
            .lock_exclusive()
            .into_tuple::<String>()
            .all(txn)
            .await?;
    }
    let events: Vec<String> = totals
        .iter()
        .filter_map(|(c, _)| match c {
            Counter::GaArea { event, .. } => Some(event.clone()),
            Counter::TicketType(_) => None,
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for chunk in events.chunks(SET_CHUNK) {
        event_ga_sales::Entity::find()
            .select_only()
            .column(event_ga_sales::Column::EventId)
            .filter(event_ga_sales::Column::OrganizationId.eq(org.as_str()))
            .filter(event_ga_sales::Column::EventId.is_in(chunk.iter().cloned()))
            .order_by_asc(event_ga_sales::Column::EventId)
            .order_by_asc(event_ga_sales::Column::GaAreaId)
            .lock_exclusive()
            .into_tuple::<String>()
            .all(txn)
            .await?;
    }
    Ok(())
}

/// Counters per set statement (three parameters each: far below either backend's limit).
const SET_CHUNK: usize = 500;

async fn take(
    txn: &DatabaseTransaction,
    org: &OrgId,
    counter: &Counter,
    count: i64,
    capacity: i64,
) -> Result<bool> {
    match counter {
        Counter::TicketType(id) => take_ticket_type(txn, org, id, count).await,
        Counter::GaArea { event, area } => {
            take_ga_area(txn, org, event, area, count, capacity).await
        }
    }
}

/// The 409 one order gets for a full counter (the same words as a single order's).
async fn refusal(
    txn: &DatabaseTransaction,
    org: &OrgId,
    counter: &Counter,
    need: &Need,
) -> Result<Error> {
    let (field, reason) = match counter {
        Counter::TicketType(id) => (
            "ticket_type_id",
            sold_out_reason(txn, org, id, need.count).await?,
        ),
        Counter::GaArea { .. } => (
            "ga_name",
            format!(
                "the general-admission area is full for this event: {} needed, capacity {}",
                need.count, need.capacity
            ),
        ),
    };
    Ok(single_order_error(Failure::Problems(vec![Problem {
        order: 0,
        ticket: Some(need.ticket),
        field,
        reason,
        kind: ProblemKind::Conflict,
    }])))
}

/// Hands back places taken for a booking that was refused by another counter.
async fn give_back(
    txn: &DatabaseTransaction,
    org: &OrgId,
    counter: &Counter,
    count: i64,
) -> Result<()> {
    match counter {
        Counter::TicketType(id) => {
            use ticket_types::Column;
            ticket_types::Entity::update_many()
                .col_expr(Column::Sold, Expr::col(Column::Sold).sub(count))
                .filter(Column::OrganizationId.eq(org.as_str()))
                .filter(Column::Id.eq(id.as_str()))
                .exec(txn)
                .await?;
        }
        Counter::GaArea { event, area } => {
            use event_ga_sales::Column;
            event_ga_sales::Entity::update_many()
                .col_expr(Column::Sold, Expr::col(Column::Sold).sub(count))
                .filter(Column::OrganizationId.eq(org.as_str()))
                .filter(Column::EventId.eq(event.as_str()))
                .filter(Column::GaAreaId.eq(area.as_str()))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// Writes the bookings of a group: orders, tickets (in seat order, as single orders insert them)
/// and their `order.placed` events, a multi-row insert per table. Callers write before
/// [`take_group_capacity`] locks the counters every order of a sale shares, so that those locks
/// are held for the counters and the commit only. Returns each order as a later read returns it. A unique violation (a seat
/// or barcode a concurrent writer took) is [`PlaceError::LostRace`] for the whole group.
pub async fn write_group(
    txn: &DatabaseTransaction,
    org: &OrgId,
    bookings: &[&Booking],
) -> Result<Vec<Order>, PlaceError> {
    let plans: Vec<&PlannedOrder> = bookings.iter().flat_map(|b| b.plans.iter()).collect();
    insert_plans(txn, org, &plans).await?;
    Ok(bookings.iter().map(|b| b.order.clone()).collect())
}
