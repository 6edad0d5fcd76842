//! Who holds tickets for some events: the customers with at least one valid ticket, for work
//! that reaches every earlier buyer (the referral programme's back-dating mails them their own
//! links). Distinct customers in id order, a page at a time by keyset, so a job walks any
//! number of them with bounded memory and can start again anywhere. Also an event's door list:
//! each valid ticket with its holder, type and place (the event page's export).

use std::collections::{HashMap, HashSet};

use fullhouse_core::{OrgId, Result};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use super::OrderService;
use crate::model::ids::{CustomerId, EventId};
use crate::model::orders::TicketStatus;
use crate::store::{customers, ticket_types, tickets, venue_ga_areas, venue_seats};

/// The most customers one page returns.
pub const MAX_HOLDERS_PAGE: u64 = 1_000;

impl OrderService {
    /// Up to `limit` (at most [`MAX_HOLDERS_PAGE`]) customers holding a valid ticket for any of
    /// `events`, in id order, after `after`; fewer than asked means the last page. Tickets
    /// without a customer (anonymous box-office sales) hold for no one.
    pub async fn event_holders(
        &self,
        org: &OrgId,
        events: &[EventId],
        after: Option<&CustomerId>,
        limit: u64,
    ) -> Result<Vec<CustomerId>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut select = held(org, events)
            .select_only()
            .column(tickets::Column::CustomerId)
            .distinct();
        if let Some(after) = after {
            select = select.filter(tickets::Column::CustomerId.gt(after.as_str()));
        }
        let ids: Vec<Option<String>> = select
            .order_by_asc(tickets::Column::CustomerId)
            .limit(limit.clamp(1, MAX_HOLDERS_PAGE))
            .into_tuple()
            .all(self.db.reader())
            .await?;
        Ok(ids.into_iter().flatten().map(CustomerId::from_db).collect())
    }
}

impl OrderService {
    /// How many customers [`Self::event_holders`] walks through.
    pub async fn count_event_holders(&self, org: &OrgId, events: &[EventId]) -> Result<u64> {
        if events.is_empty() {
            return Ok(0);
        }
        let count: Option<i64> = held(org, events)
            .select_only()
            .column_as(
                Expr::expr(Func::count_distinct(Expr::col(tickets::Column::CustomerId))),
                "holders",
            )
            .into_tuple()
            .one(self.db.reader())
            .await?;
        Ok(count.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }
}

/// The valid tickets of `events` that belong to a customer.
fn held(org: &OrgId, events: &[EventId]) -> Select<tickets::Entity> {
    tickets::Entity::find()
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::EventId.is_in(events.iter().map(|e| e.as_str())))
        .filter(tickets::Column::Status.eq(TicketStatus::Valid.as_str()))
        .filter(tickets::Column::CustomerId.is_not_null())
}

/// The most tickets an event's holder list reads (far above any venue).
const MAX_TICKETS_LISTED: u64 = 200_000;

/// A valid ticket of an event with who holds it: a row of the door list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketHolder {
    pub order_id: String,
    pub ticket_type: String,
    /// `Section, row 3, seat 12` as the venue names them, or the GA area's name.
    pub place: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub price_minor: i64,
    pub currency: String,
}

impl OrderService {
    /// Every valid ticket of `event` with its holder (none for an anonymous box-office sale),
    /// its ticket type and its place, by order then ticket: the event's door list.
    pub async fn ticket_holders(&self, org: &OrgId, event: &EventId) -> Result<Vec<TicketHolder>> {
        let conn = self.db.reader();
        let tickets = tickets::Entity::find()
            .filter(tickets::Column::OrganizationId.eq(org.as_str()))
            .filter(tickets::Column::EventId.eq(event.as_str()))
            .filter(tickets::Column::Status.eq(TicketStatus::Valid.as_str()))
            .order_by_asc(tickets::Column::OrderId)
            .order_by_asc(tickets::Column::Id)
            .limit(MAX_TICKETS_LISTED)
            .all(conn)
            .await?;
        let type_names: HashMap<String, String> = ticket_types::Entity::find()
            .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
            .filter(ticket_types::Column::EventId.eq(event.as_str()))
            .all(conn)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let customer_ids: Vec<String> = tickets
            .iter()
            .filter_map(|t| t.customer_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let seat_ids: Vec<String> = tickets.iter().filter_map(|t| t.seat_id.clone()).collect();
        let area_ids: Vec<String> = tickets
            .iter()
            .filter_map(|t| t.ga_area_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut customers = HashMap::new();
        for chunk in customer_ids.chunks(ID_CHUNK) {
            for c in customers::Entity::find()
                .filter(customers::Column::OrganizationId.eq(org.as_str()))
                .filter(customers::Column::Id.is_in(chunk.iter().cloned()))
                .all(conn)
                .await?
            {
                customers.insert(c.id.clone(), c);
            }
        }
        let mut places = HashMap::new();
        for chunk in seat_ids.chunks(ID_CHUNK) {
            for s in venue_seats::Entity::find()
                .filter(venue_seats::Column::OrganizationId.eq(org.as_str()))
                .filter(venue_seats::Column::Id.is_in(chunk.iter().cloned()))
                .all(conn)
                .await?
            {
                let place = [s.section_name, s.group_name, s.row_name, s.seat_label]
                    .into_iter()
                    .filter(|part| !part.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(" / ");
                places.insert(s.id, place);
            }
        }
        if !area_ids.is_empty() {
            for a in venue_ga_areas::Entity::find()
                .filter(venue_ga_areas::Column::OrganizationId.eq(org.as_str()))
                .filter(venue_ga_areas::Column::Id.is_in(area_ids))
                .all(conn)
                .await?
            {
                places.insert(a.id, a.name);
            }
        }
        Ok(tickets
            .into_iter()
            .map(|t| {
                let customer = t.customer_id.as_ref().and_then(|id| customers.get(id));
                TicketHolder {
                    ticket_type: type_names
                        .get(&t.ticket_type_id)
                        .cloned()
                        .unwrap_or_default(),
                    place: t
                        .seat_id
                        .as_ref()
                        .or(t.ga_area_id.as_ref())
                        .and_then(|id| places.get(id).cloned()),
                    first_name: customer.and_then(|c| c.first_name.clone()),
                    last_name: customer.and_then(|c| c.last_name.clone()),
                    email: customer.and_then(|c| c.email.clone()),
                    phone: customer.and_then(|c| c.phone.clone()),
                    order_id: t.order_id,
                    price_minor: t.price_minor,
                    currency: t.currency,
                }
            })
            .collect())
    }
}

/// Ids per `IN (…)` list: far below SQLite's bound-parameter limit.
const ID_CHUNK: usize = 5_000;
