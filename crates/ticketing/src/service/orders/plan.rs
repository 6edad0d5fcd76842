//! Planning: everything an order needs, checked against the database inside the transaction
//! (customers, ticket types, events, seats, areas, barcodes), and every problem of a request
//! collected rather than the first one.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Timelike, Utc};
use fullhouse_core::{OrgId, Result};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::{distinct, find_in, Failure, Problem, ProblemKind, CLOCK_SKEW_MINUTES};
use crate::model::catalog::EventStatus;
use crate::model::ids::*;
use crate::model::orders::*;
use crate::service::sale_facts::StockRows;
use crate::store::{customers, events, orders, ticket_types, tickets, venue_ga_areas, venue_seats};

/// An order checked against the database and ready to write.
pub(super) struct PlannedOrder {
    /// Position in the request.
    pub(super) index: usize,
    pub(super) order: orders::Model,
    pub(super) tickets: Vec<PlannedTicket>,
}

pub(super) struct PlannedTicket {
    /// Position in its order.
    pub(super) index: usize,
    pub(super) row: tickets::Model,
    /// The GA area's capacity, when the ticket is for one.
    pub(super) ga_capacity: Option<i64>,
}

/// The rows the orders of a request refer to, loaded with a few batched queries.
#[derive(Default)]
pub(super) struct Facts {
    pub(super) customers: HashSet<String>,
    pub(super) ticket_types: HashMap<String, ticket_types::Model>,
    pub(super) events: HashMap<String, events::Model>,
    pub(super) seats_by_id: HashMap<String, venue_seats::Model>,
    pub(super) seats_by_name: HashMap<(String, SeatNames), venue_seats::Model>,
    pub(super) ga_by_id: HashMap<String, venue_ga_areas::Model>,
    /// Keyed by venue and lowercased name: organizers do not always match the case.
    pub(super) ga_by_name: HashMap<(String, String), venue_ga_areas::Model>,
    pub(super) taken_barcodes: HashSet<String>,
    /// `(event_id, seat_id)` of valid tickets.
    pub(super) sold_seats: HashSet<(String, String)>,
}

impl Facts {
    pub(super) async fn load(
        txn: &DatabaseTransaction,
        org: &OrgId,
        items: &[(usize, &NewOrder)],
    ) -> Result<Facts> {
        Self::load_knowing(txn, org, items, &[]).await
    }

    /// Like [`Facts::load`], taking the events' rows from `known` (read earlier in the same
    /// transaction) instead of reading them again, when they cover the request.
    pub(super) async fn load_knowing(
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

    pub(super) async fn load_seats(
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

    pub(super) async fn load_ga_areas(
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

    pub(super) fn add_ga_areas(&mut self, areas: impl Iterator<Item = venue_ga_areas::Model>) {
        for area in areas {
            self.ga_by_name.insert(
                (area.venue_id.clone(), area.name.trim().to_lowercase()),
                area.clone(),
            );
            self.ga_by_id.insert(area.id.clone(), area);
        }
    }

    /// The seats already sold for the events of the request, among the seats it names.
    pub(super) async fn load_sold_seats(
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
pub(super) struct Report<'p> {
    pub(super) order: usize,
    pub(super) problems: &'p mut Vec<Problem>,
}

impl Report<'_> {
    pub(super) fn add(
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

    pub(super) fn invalid(
        &mut self,
        ticket: Option<usize>,
        field: &'static str,
        reason: impl Into<String>,
    ) {
        self.add(ticket, field, reason.into(), ProblemKind::Invalid);
    }

    pub(super) fn conflict(
        &mut self,
        ticket: Option<usize>,
        field: &'static str,
        reason: impl Into<String>,
    ) {
        self.add(ticket, field, reason.into(), ProblemKind::Conflict);
    }
}

/// Checks every order of `items` against the database; all problems, or all plans.
pub(super) async fn plan(
    txn: &DatabaseTransaction,
    org: &OrgId,
    items: &[(usize, &NewOrder)],
    source: OrderSource,
) -> Result<Vec<PlannedOrder>, Failure> {
    let facts = Facts::load(txn, org, items).await?;
    plan_with(&facts, items, source)
}

/// Checks every order of `items` against facts already loaded; all problems, or all plans.
pub(super) fn plan_with(
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

pub(super) fn plan_order(
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
    let referral_code = match new.referral_code.as_deref().map(referral_code) {
        None => None,
        Some(Ok(value)) => value,
        Some(Err(reason)) => {
            report.invalid(None, "referral_code", reason);
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
            // Paid, unless checkout holds it for payment (`Booking::hold_for_payment`).
            status: OrderStatus::Paid.as_str().to_string(),
            total_minor: planned.iter().map(|t| t.row.price_minor).sum(),
            currency: first.row.currency.clone(),
            source: source.as_str().to_string(),
            created_at,
            updated_at: now,
            cancelled_at: None,
            referral_code,
        },
        tickets: planned,
    })
}

/// A time cut to whole microseconds (PostgreSQL's precision).
pub(super) fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(at.nanosecond() / 1_000 * 1_000)
        .unwrap_or(at)
}

/// A ticket of a request, resolved to the rows it refers to.
pub(super) struct Resolved<'f> {
    pub(super) ticket_type: &'f ticket_types::Model,
    pub(super) seat: Option<&'f venue_seats::Model>,
    pub(super) ga_area: Option<&'f venue_ga_areas::Model>,
    pub(super) price_minor: i64,
    pub(super) delivery_type: DeliveryType,
    pub(super) barcode: String,
}

pub(super) fn resolve_ticket<'f>(
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

pub(super) type Place<'f> = (
    Option<&'f venue_seats::Model>,
    Option<&'f venue_ga_areas::Model>,
);

/// The seat or GA area of a ticket. A ticket type tied to a GA area sells that area; any other
/// ticket type needs a seat of the event's venue, or a GA area of it named by `ga_name`.
pub(super) fn resolve_place<'f>(
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

pub(super) fn resolve_typed_area<'f>(
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

pub(super) fn resolve_seat_id<'f>(
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

pub(super) fn resolve_seat_names<'f>(
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
pub(super) fn report_repeats(plans: &[PlannedOrder], problems: &mut Vec<Problem>) {
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
