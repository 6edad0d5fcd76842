//! Read-only lookups other modules validate their own data against: which seat labels a venue
//! has, which categories its seats and an event's ticket types use, which customers ids or
//! emails name, and who held tickets for past events.

use std::collections::{HashMap, HashSet};

use fullhouse_core::ids::OrgId;
use fullhouse_core::{Db, Error, Result};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::model::ids::{EventId, VenueId};
use crate::model::orders::TicketStatus;
use crate::store::{customers, events, ticket_types, tickets, venue_ga_areas, venue_seats};

/// Names as organizers type them, compared without case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Seat labels and categories that exist at some venues and events.
#[derive(Debug, Clone, Default)]
pub struct KnownNames {
    /// Lowercased seat labels of the venues.
    pub seat_labels: HashSet<String>,
    /// Lowercased categories of the venues' seats and GA areas and of the events' ticket types.
    pub categories: HashSet<String>,
}

/// What exists at `venue` (when given) and at `events` (and their venues).
pub async fn known_names(
    db: &Db,
    org: &OrgId,
    venue: Option<&VenueId>,
    event_ids: &[EventId],
) -> Result<KnownNames> {
    let conn = db.reader();
    let event_keys: Vec<String> = event_ids.iter().map(|e| e.to_string()).collect();
    let found: Vec<(String, String)> = events::Entity::find()
        .select_only()
        .column(events::Column::Id)
        .column(events::Column::VenueId)
        .filter(events::Column::OrganizationId.eq(org.as_str()))
        .filter(events::Column::Id.is_in(event_keys.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    if let Some(missing) = event_keys
        .iter()
        .find(|e| !found.iter().any(|(id, _)| id == *e))
    {
        return Err(Error::invalid(
            "event_ids",
            format!("no event {missing} in this organization"),
        ));
    }
    let mut venues: Vec<String> = found.into_iter().map(|(_, venue)| venue).collect();
    venues.extend(venue.map(|v| v.to_string()));
    venues.sort();
    venues.dedup();

    let seats: Vec<(String, Option<String>)> = venue_seats::Entity::find()
        .select_only()
        .column(venue_seats::Column::SeatLabel)
        .column(venue_seats::Column::Category)
        .filter(venue_seats::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_seats::Column::VenueId.is_in(venues.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    let areas: Vec<Option<String>> = venue_ga_areas::Entity::find()
        .select_only()
        .column(venue_ga_areas::Column::Category)
        .filter(venue_ga_areas::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_ga_areas::Column::VenueId.is_in(venues))
        .into_tuple()
        .all(conn)
        .await?;
    let types: Vec<Option<String>> = ticket_types::Entity::find()
        .select_only()
        .column(ticket_types::Column::Category)
        .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
        .filter(ticket_types::Column::EventId.is_in(event_keys))
        .into_tuple()
        .all(conn)
        .await?;
    let mut known = KnownNames::default();
    for (label, category) in seats {
        known.seat_labels.insert(name_key(&label));
        known.categories.extend(category.as_deref().map(name_key));
    }
    let other_categories = areas.into_iter().chain(types).flatten();
    known
        .categories
        .extend(other_categories.map(|c| name_key(&c)));
    Ok(known)
}

/// Resolves customer references (ids `cus_…` or emails, any case) to customer ids; references
/// that name no customer of the organization are left out.
pub async fn resolve_customers(
    db: &Db,
    org: &OrgId,
    references: &[String],
) -> Result<HashMap<String, String>> {
    let (ids, emails): (Vec<String>, Vec<String>) = references
        .iter()
        .map(|r| r.trim().to_string())
        .partition(|r| r.starts_with("cus_"));
    let emails: Vec<String> = emails.into_iter().map(|e| e.to_lowercase()).collect();
    let mut resolved = HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<String> = customers::Entity::find()
            .select_only()
            .column(customers::Column::Id)
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .filter(customers::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db.reader())
            .await?;
        resolved.extend(found.into_iter().map(|id| (id.clone(), id)));
    }
    for chunk in emails.chunks(500) {
        let found: Vec<(String, Option<String>)> = customers::Entity::find()
            .select_only()
            .column(customers::Column::Id)
            .column(customers::Column::Email)
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .filter(customers::Column::Email.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db.reader())
            .await?;
        for (id, email) in found {
            if let Some(email) = email {
                resolved.entry(email).or_insert(id);
            }
        }
    }
    Ok(resolved)
}

/// A valid ticket of a past event: its barcode and holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldTicket {
    pub barcode: String,
    pub customer_id: Option<String>,
}

/// The valid tickets of `event_ids` (which must be the organization's).
pub async fn held_tickets(db: &Db, org: &OrgId, event_ids: &[EventId]) -> Result<Vec<HeldTicket>> {
    known_names(db, org, None, event_ids).await?;
    let keys: Vec<String> = event_ids.iter().map(|e| e.to_string()).collect();
    let rows: Vec<(String, Option<String>)> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::Barcode)
        .column(tickets::Column::CustomerId)
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::EventId.is_in(keys))
        .filter(tickets::Column::Status.eq(TicketStatus::Valid.as_str()))
        .into_tuple()
        .all(db.reader())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(barcode, customer_id)| HeldTicket {
            barcode,
            customer_id,
        })
        .collect())
}
