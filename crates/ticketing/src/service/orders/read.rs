//! Reading orders back: orders with their tickets, tickets with their seat and area names.

use std::collections::HashMap;

use fullhouse_core::{Error, OrgId, Result};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{distinct, find_in};
use crate::model::ids::*;
use crate::model::orders::*;
use crate::store::{orders, tickets, venue_ga_areas, venue_seats};

pub(super) async fn load_order(
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
pub(super) async fn load_orders(
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
pub(super) async fn tickets_with_places(
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

pub(super) fn order_from(m: orders::Model, tickets: Vec<Ticket>) -> Order {
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
        referral_code: m.referral_code,
    }
}

pub(super) fn ticket_from(
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
