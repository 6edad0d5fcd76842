//! Venues and their seat maps.

use std::collections::HashSet;

use chrono::Utc;
use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::tabular::read_csv;
use fullhouse_core::tenancy::service::required;
use fullhouse_core::{Db, Error, OrgId, Result};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::fetch_page;
use crate::model::ids::*;
use crate::model::rules::{coordinates, optional_text};
use crate::model::venues::*;
use crate::store::{events, ticket_types, tickets, venue_ga_areas, venue_seats, venues};

/// Rows per multi-row INSERT: 1,000 rows of 9 columns stay well under both backends' limits on
/// bound parameters (SQLite 32,766; PostgreSQL 65,535).
const INSERT_CHUNK: usize = 1_000;

#[derive(Clone)]
pub struct VenueService {
    db: Db,
}

impl VenueService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn create_venue(&self, org: &OrgId, new: NewVenue) -> Result<Venue> {
        let (latitude, longitude) = coordinates(new.latitude, new.longitude)?;
        let timezone = match new.timezone {
            Some(zone) => validate_timezone(&zone)?,
            None => DEFAULT_TIMEZONE.to_string(),
        };
        let now = Utc::now();
        let model = venues::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(VenueId::generate().into_string()),
            name: Set(required("name", &new.name)?),
            address_line: Set(optional_text("address_line", new.address_line, 500)?),
            postal_code: Set(optional_text("postal_code", new.postal_code, 20)?),
            city: Set(optional_text("city", new.city, 200)?),
            country: Set(optional_text("country", new.country, 100)?),
            latitude: Set(latitude),
            longitude: Set(longitude),
            timezone: Set(timezone),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = self.db.begin_write().await?;
        let saved = model.insert(&txn).await?;
        txn.commit().await?;
        Ok(venue_from(saved))
    }

    pub async fn list_venues(&self, org: &OrgId, params: &PageParams) -> Result<Page<Venue>> {
        let select = venues::Entity::find().filter(venues::Column::OrganizationId.eq(org.as_str()));
        let page = fetch_page(self.db.reader(), select, venues::Column::Id, params, |m| {
            m.id.clone()
        })
        .await?;
        Ok(page.map(venue_from))
    }

    pub async fn venue(&self, org: &OrgId, id: &VenueId) -> Result<Venue> {
        find_venue(self.db.reader(), org, id).await.map(venue_from)
    }

    pub async fn update_venue(
        &self,
        org: &OrgId,
        id: &VenueId,
        patch: VenuePatch,
    ) -> Result<Venue> {
        let txn = self.db.begin_write().await?;
        let found = find_venue(&txn, org, id).await?;
        let (latitude, longitude) = coordinates(
            patch.latitude.unwrap_or(found.latitude),
            patch.longitude.unwrap_or(found.longitude),
        )?;
        let mut active = found.into_active_model();
        if let Some(name) = patch.name {
            active.name = Set(required("name", &name)?);
        }
        if patch.address_line.is_some() {
            active.address_line = Set(optional_text("address_line", patch.address_line, 500)?);
        }
        if patch.postal_code.is_some() {
            active.postal_code = Set(optional_text("postal_code", patch.postal_code, 20)?);
        }
        if patch.city.is_some() {
            active.city = Set(optional_text("city", patch.city, 200)?);
        }
        if patch.country.is_some() {
            active.country = Set(optional_text("country", patch.country, 100)?);
        }
        if let Some(zone) = patch.timezone {
            active.timezone = Set(validate_timezone(&zone)?);
        }
        active.latitude = Set(latitude);
        active.longitude = Set(longitude);
        active.updated_at = Set(Utc::now());
        let saved = active.update(&txn).await?;
        txn.commit().await?;
        Ok(venue_from(saved))
    }

    /// Deletes a venue no event uses, with its seat map; a venue with events is a conflict, so
    /// that no event loses its place.
    pub async fn delete_venue(&self, org: &OrgId, id: &VenueId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        find_venue(&txn, org, id).await?;
        let event_count = events::Entity::find()
            .filter(events::Column::OrganizationId.eq(org.as_str()))
            .filter(events::Column::VenueId.eq(id.as_str()))
            .count(&txn)
            .await?;
        if event_count > 0 {
            return Err(Error::conflict(
                "id",
                format!("the venue has {event_count} events; move or delete them first"),
            ));
        }
        delete_seat_map(&txn, org, id).await?;
        venues::Entity::delete_by_id((org.to_string(), id.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The venue's seat map, nested, in the order it was given.
    pub async fn seat_map(&self, org: &OrgId, id: &VenueId) -> Result<SeatMap> {
        let conn = self.db.reader();
        find_venue(conn, org, id).await?;
        let seats = venue_seats::Entity::find()
            .filter(venue_seats::Column::OrganizationId.eq(org.as_str()))
            .filter(venue_seats::Column::VenueId.eq(id.as_str()))
            .order_by_asc(venue_seats::Column::SortOrder)
            .order_by_asc(venue_seats::Column::Id)
            .all(conn)
            .await?;
        let areas = stored_ga_areas(conn, org, id).await?;
        let lines = seats
            .into_iter()
            .map(|m| SeatLine {
                id: SeatId::from_db(m.id),
                address: SeatAddress {
                    section: m.section_name,
                    group: m.group_name,
                    row: m.row_name,
                    label: m.seat_label,
                },
                category: m.category,
            })
            .collect();
        let ga_areas = areas.into_iter().map(ga_area_from).collect();
        Ok(build_seat_map(lines, ga_areas))
    }

    /// Replaces the seat map with `input` (see [`SeatMapInput`] for how ids are kept).
    pub async fn replace_seat_map(
        &self,
        org: &OrgId,
        id: &VenueId,
        input: SeatMapInput,
    ) -> Result<SeatMap> {
        let plan = input.plan()?;
        self.store_plan(org, id, plan).await
    }

    /// Replaces the seat map with the one in a CSV file: every bad row is reported and nothing
    /// changes unless the whole file is good.
    pub async fn import_seat_map(
        &self,
        org: &OrgId,
        id: &VenueId,
        csv: Vec<u8>,
    ) -> Result<SeatMap> {
        // Parsing a large file is CPU work: keep it off the async workers.
        let plan = tokio::task::spawn_blocking(move || {
            let table = read_csv(&csv, true)?;
            plan_from_table(&table)
        })
        .await
        .map_err(|e| Error::internal(format!("the seat-map import task failed: {e}")))??;
        self.store_plan(org, id, plan).await
    }

    /// Stores a validated plan in one transaction: the ids of unchanged seats are kept, and
    /// seats or GA areas that still have valid tickets are never removed.
    async fn store_plan(&self, org: &OrgId, id: &VenueId, plan: SeatMapPlan) -> Result<SeatMap> {
        let txn = self.db.begin_write().await?;
        find_venue(&txn, org, id).await?;
        let stored_seats = stored_seats(&txn, org, id).await?;
        let stored_areas: Vec<StoredGaArea> = stored_ga_areas(&txn, org, id)
            .await?
            .into_iter()
            .map(|m| StoredGaArea {
                id: GaAreaId::from_db(m.id),
                name: m.name,
            })
            .collect();
        let assignment = assign_ids(&plan, &stored_seats, &stored_areas)?;
        refuse_removing_sold(&txn, org, id, &assignment).await?;
        // Delete and insert rather than update in place: two seats swapping labels would trip
        // the unique address index half-way through a row-by-row update.
        delete_seat_map(&txn, org, id).await?;
        insert_seats(&txn, org, id, &plan, &assignment.seat_ids).await?;
        insert_ga_areas(&txn, org, id, &plan, &assignment.ga_area_ids).await?;
        txn.commit().await?;
        Ok(stored_map(plan, assignment))
    }
}

/// The map just stored, built from the plan rather than read back: the same order `seat_map`
/// reads (seats in plan order, GA areas by id), without a second pass over 100,000 rows.
fn stored_map(plan: SeatMapPlan, assignment: IdAssignment) -> SeatMap {
    let lines = plan
        .seats
        .into_iter()
        .zip(assignment.seat_ids)
        .map(|(seat, id)| SeatLine {
            id,
            address: seat.address,
            category: seat.category,
        })
        .collect();
    let mut areas: Vec<GaArea> = plan
        .ga_areas
        .into_iter()
        .zip(assignment.ga_area_ids)
        .map(|(area, id)| GaArea {
            id,
            name: area.name,
            capacity: area.capacity,
            category: area.category,
        })
        .collect();
    areas.sort_by(|a, b| a.id.cmp(&b.id));
    build_seat_map(lines, areas)
}

async fn find_venue(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    id: &VenueId,
) -> Result<venues::Model> {
    venues::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("venue"))
}

async fn stored_seats(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    venue: &VenueId,
) -> Result<Vec<StoredSeat>> {
    let rows: Vec<(String, String, String, String, String)> = venue_seats::Entity::find()
        .select_only()
        .column(venue_seats::Column::Id)
        .column(venue_seats::Column::SectionName)
        .column(venue_seats::Column::GroupName)
        .column(venue_seats::Column::RowName)
        .column(venue_seats::Column::SeatLabel)
        .filter(venue_seats::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_seats::Column::VenueId.eq(venue.as_str()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, section, group, row, label)| StoredSeat {
            id: SeatId::from_db(id),
            address: SeatAddress {
                section,
                group,
                row,
                label,
            },
        })
        .collect())
}

async fn stored_ga_areas(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    venue: &VenueId,
) -> Result<Vec<venue_ga_areas::Model>> {
    Ok(venue_ga_areas::Entity::find()
        .filter(venue_ga_areas::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_ga_areas::Column::VenueId.eq(venue.as_str()))
        .order_by_asc(venue_ga_areas::Column::Id)
        .all(conn)
        .await?)
}

/// Refuses a map that drops a seat or GA area with valid tickets, or a GA area a ticket type is
/// for: the tickets would point at nothing.
async fn refuse_removing_sold(
    txn: &DatabaseTransaction,
    org: &OrgId,
    venue: &VenueId,
    assignment: &IdAssignment,
) -> Result<()> {
    if assignment.removed_seats.is_empty() && assignment.removed_ga_areas.is_empty() {
        return Ok(());
    }
    // The venue's events' tickets, rather than `seat_id IN (…removed…)`: a removal can name up
    // to 100,000 seats, more than either backend binds in one statement.
    let events_here = Query::select()
        .column(events::Column::Id)
        .from(events::Entity)
        .and_where(events::Column::OrganizationId.eq(org.as_str()))
        .and_where(events::Column::VenueId.eq(venue.as_str()))
        .to_owned();
    let sold: Vec<(Option<String>, Option<String>)> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::SeatId)
        .column(tickets::Column::GaAreaId)
        .distinct()
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::Status.eq("valid"))
        .filter(tickets::Column::EventId.in_subquery(events_here))
        .into_tuple()
        .all(txn)
        .await?;
    let sold_seats: HashSet<&str> = sold.iter().filter_map(|(s, _)| s.as_deref()).collect();
    let sold_areas: HashSet<&str> = sold.iter().filter_map(|(_, a)| a.as_deref()).collect();
    let seats_in_use: Vec<String> = assignment
        .removed_seats
        .iter()
        .filter(|s| sold_seats.contains(s.id.as_str()))
        .map(|s| format!("seat {}", s.address))
        .collect();
    let mut areas_in_use: Vec<String> = assignment
        .removed_ga_areas
        .iter()
        .filter(|a| sold_areas.contains(a.id.as_str()))
        .map(|a| format!("GA area `{}`", a.name))
        .collect();
    if let Some(first) = seats_in_use.first().or(areas_in_use.first()) {
        let more = seats_in_use.len() + areas_in_use.len() - 1;
        return Err(Error::conflict(
            "sections",
            format!(
                "{first} has valid tickets{}; keep it in the map (with its id or its address), \
                 or cancel the tickets first",
                and_more(more)
            ),
        ));
    }
    areas_in_use = ga_areas_with_ticket_types(txn, org, &assignment.removed_ga_areas).await?;
    if let Some(first) = areas_in_use.first() {
        return Err(Error::conflict(
            "ga_areas",
            format!(
                "{first} is used by ticket types{}; keep it in the map, or change the ticket types first",
                and_more(areas_in_use.len() - 1)
            ),
        ));
    }
    Ok(())
}

fn and_more(count: usize) -> String {
    if count == 0 {
        String::new()
    } else {
        format!(" (and {count} more)")
    }
}

async fn ga_areas_with_ticket_types(
    txn: &DatabaseTransaction,
    org: &OrgId,
    removed: &[StoredGaArea],
) -> Result<Vec<String>> {
    if removed.is_empty() {
        return Ok(Vec::new());
    }
    let mut in_use = Vec::new();
    // At most MAX_GA_AREAS ids, bound in chunks all the same.
    for chunk in removed.chunks(INSERT_CHUNK) {
        let ids: Vec<&str> = chunk.iter().map(|a| a.id.as_str()).collect();
        let used: Vec<Option<String>> = ticket_types::Entity::find()
            .select_only()
            .column(ticket_types::Column::GaAreaId)
            .distinct()
            .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
            .filter(ticket_types::Column::GaAreaId.is_in(ids))
            .into_tuple()
            .all(txn)
            .await?;
        let used: HashSet<String> = used.into_iter().flatten().collect();
        in_use.extend(
            chunk
                .iter()
                .filter(|a| used.contains(a.id.as_str()))
                .map(|a| format!("GA area `{}`", a.name)),
        );
    }
    Ok(in_use)
}

async fn delete_seat_map(txn: &DatabaseTransaction, org: &OrgId, venue: &VenueId) -> Result<()> {
    venue_seats::Entity::delete_many()
        .filter(venue_seats::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_seats::Column::VenueId.eq(venue.as_str()))
        .exec(txn)
        .await?;
    venue_ga_areas::Entity::delete_many()
        .filter(venue_ga_areas::Column::OrganizationId.eq(org.as_str()))
        .filter(venue_ga_areas::Column::VenueId.eq(venue.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

async fn insert_seats(
    txn: &DatabaseTransaction,
    org: &OrgId,
    venue: &VenueId,
    plan: &SeatMapPlan,
    ids: &[SeatId],
) -> Result<()> {
    let rows: Vec<venue_seats::ActiveModel> = plan
        .seats
        .iter()
        .zip(ids)
        .enumerate()
        .map(|(order, (seat, id))| venue_seats::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id.to_string()),
            venue_id: Set(venue.to_string()),
            section_name: Set(seat.address.section.clone()),
            group_name: Set(seat.address.group.clone()),
            row_name: Set(seat.address.row.clone()),
            seat_label: Set(seat.address.label.clone()),
            category: Set(seat.category.clone()),
            sort_order: Set(i64::try_from(order).unwrap_or(i64::MAX)),
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        venue_seats::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

async fn insert_ga_areas(
    txn: &DatabaseTransaction,
    org: &OrgId,
    venue: &VenueId,
    plan: &SeatMapPlan,
    ids: &[GaAreaId],
) -> Result<()> {
    let rows: Vec<venue_ga_areas::ActiveModel> = plan
        .ga_areas
        .iter()
        .zip(ids)
        .map(|(area, id)| venue_ga_areas::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id.to_string()),
            venue_id: Set(venue.to_string()),
            name: Set(area.name.clone()),
            capacity: Set(area.capacity),
            category: Set(area.category.clone()),
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        venue_ga_areas::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn venue_from(m: venues::Model) -> Venue {
    Venue {
        id: VenueId::from_db(m.id),
        name: m.name,
        address_line: m.address_line,
        postal_code: m.postal_code,
        city: m.city,
        country: m.country,
        latitude: m.latitude,
        longitude: m.longitude,
        timezone: m.timezone,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn ga_area_from(m: venue_ga_areas::Model) -> GaArea {
    GaArea {
        id: GaAreaId::from_db(m.id),
        name: m.name,
        capacity: m.capacity,
        category: m.category,
    }
}
