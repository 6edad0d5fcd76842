//! Productions, events, ticket types and shops.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::money::validate_amount;
use fullhouse_core::tenancy::service::{required, validate_currency, TenancyService};
use fullhouse_core::{Db, Error, OrgId, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::fetch_page;
use super::listing::{fetch_listing, Key, Listing, SortKey, Window};
use crate::model::catalog::*;
use crate::model::ids::*;
use crate::model::rules::optional_text;
use crate::store::{events, productions, shops, ticket_types, tickets, venue_ga_areas, venues};

#[derive(Clone)]
pub struct CatalogService {
    db: Db,
}

impl CatalogService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn create_production(&self, org: &OrgId, new: NewProduction) -> Result<Production> {
        let now = Utc::now();
        let model = productions::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(ProductionId::generate().into_string()),
            name: Set(required("name", &new.name)?),
            description: Set(optional_text("description", new.description, 5000)?),
            genre: Set(optional_text("genre", new.genre, 100)?),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = self.db.begin_write().await?;
        let saved = model.insert(&txn).await?;
        txn.commit().await?;
        Ok(production_from(saved))
    }

    pub async fn list_productions(
        &self,
        org: &OrgId,
        params: &PageParams,
    ) -> Result<Page<Production>> {
        let select = productions::Entity::find()
            .filter(productions::Column::OrganizationId.eq(org.as_str()));
        let page = fetch_page(
            self.db.reader(),
            select,
            productions::Column::Id,
            params,
            |m| m.id.clone(),
        )
        .await?;
        Ok(page.map(production_from))
    }

    pub async fn production(&self, org: &OrgId, id: &ProductionId) -> Result<Production> {
        productions::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(self.db.reader())
            .await?
            .map(production_from)
            .ok_or(Error::NotFound("production"))
    }

    pub async fn update_production(
        &self,
        org: &OrgId,
        id: &ProductionId,
        patch: ProductionPatch,
    ) -> Result<Production> {
        let txn = self.db.begin_write().await?;
        let found = productions::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("production"))?;
        let mut active = found.into_active_model();
        if let Some(name) = patch.name {
            active.name = Set(required("name", &name)?);
        }
        if patch.description.is_some() {
            active.description = Set(optional_text("description", patch.description, 5000)?);
        }
        if patch.genre.is_some() {
            active.genre = Set(optional_text("genre", patch.genre, 100)?);
        }
        active.updated_at = Set(Utc::now());
        let saved = active.update(&txn).await?;
        txn.commit().await?;
        Ok(production_from(saved))
    }

    /// Deletes a production that has no events; one with events is a conflict, so that sales
    /// history is never orphaned.
    pub async fn delete_production(&self, org: &OrgId, id: &ProductionId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        productions::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("production"))?;
        let event_count = events::Entity::find()
            .filter(events::Column::OrganizationId.eq(org.as_str()))
            .filter(events::Column::ProductionId.eq(id.as_str()))
            .count(&txn)
            .await?;
        if event_count > 0 {
            return Err(Error::conflict(
                "id",
                format!("the production has {event_count} events; delete them first"),
            ));
        }
        productions::Entity::delete_by_id((org.to_string(), id.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------
// Events.

impl CatalogService {
    pub async fn create_event(&self, org: &OrgId, new: NewEvent) -> Result<Event> {
        check_window(Some(new.starts_at), new.ends_at, "ends_at", "starts_at")?;
        check_window(new.sales_start, new.sales_end, "sales_end", "sales_start")?;
        let name = optional_text("name", new.name, 500)?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let production = production_for(&txn, org, &new.production_id).await?;
        let venue = venue_for(&txn, org, &new.venue_id).await?;
        let saved = events::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(EventId::generate().into_string()),
            production_id: Set(production.id),
            venue_id: Set(venue.id),
            name: Set(name),
            starts_at: Set(new.starts_at),
            ends_at: Set(new.ends_at),
            status: Set(new
                .status
                .unwrap_or(EventStatus::Scheduled)
                .as_str()
                .to_string()),
            sales_start: Set(new.sales_start),
            sales_end: Set(new.sales_end),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(event_from(
            saved,
            production.name,
            (venue.name, venue.timezone),
        ))
    }

    /// The events of `filter` in date order (then by id), a page at a time; the cursor holds
    /// the date and the id of the page's last event.
    pub async fn list_events(
        &self,
        org: &OrgId,
        filter: &EventFilter,
        params: &PageParams,
    ) -> Result<Page<Event>> {
        let select = self.events_matching(org, filter)?;
        let listing = self
            .events_listing(org, select, false, params.after(), params.limit()?, false)
            .await?;
        Ok(Page {
            items: listing.items,
            next_cursor: listing.next_cursor,
        })
    }

    /// The events of `filter` in date order (latest first when `latest_first`), one page from
    /// `cursor` with the previous page's cursor and how many events match in all: the
    /// organizer's list.
    pub async fn browse_events(
        &self,
        org: &OrgId,
        filter: &EventFilter,
        latest_first: bool,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<Listing<Event>> {
        let select = self.events_matching(org, filter)?;
        self.events_listing(org, select, latest_first, cursor, limit, true)
            .await
    }

    /// The events of the organization that `filter` keeps, unordered.
    fn events_matching(
        &self,
        org: &OrgId,
        filter: &EventFilter,
    ) -> Result<sea_orm::Select<events::Entity>> {
        filter.validate()?;
        let mut select =
            events::Entity::find().filter(events::Column::OrganizationId.eq(org.as_str()));
        if let Some(production) = &filter.production_id {
            select = select.filter(events::Column::ProductionId.eq(production.as_str()));
        }
        if let Some(venue) = &filter.venue_id {
            select = select.filter(events::Column::VenueId.eq(venue.as_str()));
        }
        if let Some(from) = filter.from {
            select = select.filter(events::Column::StartsAt.gte(from));
        }
        if let Some(to) = filter.to {
            select = select.filter(events::Column::StartsAt.lt(to));
        }
        if let Some(status) = filter.status {
            select = select.filter(events::Column::Status.eq(status.as_str()));
        }
        for word in filter
            .q
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .take(8)
        {
            select = select.filter(event_name_contains(org, word));
        }
        Ok(select)
    }

    /// One page of events in date order, then by id: the cursor holds both, so paging stays
    /// right whatever order the events were created in.
    async fn events_listing(
        &self,
        org: &OrgId,
        select: sea_orm::Select<events::Entity>,
        latest_first: bool,
        cursor: Option<&str>,
        limit: u64,
        count: bool,
    ) -> Result<Listing<Event>> {
        let conn = self.db.reader();
        let sort = SortKey::time(events::Column::StartsAt, latest_first);
        let listing = fetch_listing(
            conn,
            select,
            events::Column::Id,
            &sort,
            Window {
                cursor,
                limit,
                count,
            },
            |m| (Key::Time(m.starts_at), m.id.clone()),
        )
        .await?;
        let names = EventNames::load(conn, org, &listing.items).await?;
        Ok(listing.map(|m| names.event(m)))
    }

    pub async fn event(&self, org: &OrgId, id: &EventId) -> Result<Event> {
        let conn = self.db.reader();
        let found = find_event(conn, org, id).await?;
        let names = EventNames::load(conn, org, std::slice::from_ref(&found)).await?;
        Ok(names.event(found))
    }

    pub async fn update_event(
        &self,
        org: &OrgId,
        id: &EventId,
        patch: EventPatch,
    ) -> Result<Event> {
        let txn = self.db.begin_write().await?;
        let found = find_event(&txn, org, id).await?;
        let starts_at = patch.starts_at.unwrap_or(found.starts_at);
        let ends_at = patch.ends_at.unwrap_or(found.ends_at);
        let sales_start = patch.sales_start.unwrap_or(found.sales_start);
        let sales_end = patch.sales_end.unwrap_or(found.sales_end);
        check_window(Some(starts_at), ends_at, "ends_at", "starts_at")?;
        check_window(sales_start, sales_end, "sales_end", "sales_start")?;
        let current_venue = found.venue_id.clone();
        let mut active = found.into_active_model();
        if let Some(production) = &patch.production_id {
            active.production_id = Set(production_for(&txn, org, production).await?.id);
        }
        if let Some(venue) = patch.venue_id.filter(|v| v.as_str() != current_venue) {
            let venue = venue_for(&txn, org, &venue).await?;
            refuse_venue_change(&txn, org, id).await?;
            active.venue_id = Set(venue.id);
        }
        if patch.name.is_some() {
            active.name = Set(optional_text("name", patch.name, 500)?);
        }
        if let Some(status) = patch.status {
            active.status = Set(status.as_str().to_string());
        }
        active.starts_at = Set(starts_at);
        active.ends_at = Set(ends_at);
        active.sales_start = Set(sales_start);
        active.sales_end = Set(sales_end);
        active.updated_at = Set(Utc::now());
        let saved = active.update(&txn).await?;
        let names = EventNames::load(&txn, org, std::slice::from_ref(&saved)).await?;
        txn.commit().await?;
        Ok(names.event(saved))
    }

    /// Deletes an event without tickets, with its ticket types; an event with tickets is a
    /// conflict, so that sales history is never orphaned (cancel it instead).
    pub async fn delete_event(&self, org: &OrgId, id: &EventId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        find_event(&txn, org, id).await?;
        let ticket_count = tickets::Entity::find()
            .filter(tickets::Column::OrganizationId.eq(org.as_str()))
            .filter(tickets::Column::EventId.eq(id.as_str()))
            .count(&txn)
            .await?;
        if ticket_count > 0 {
            return Err(Error::conflict(
                "id",
                format!("the event has {ticket_count} tickets; cancel the event instead"),
            ));
        }
        ticket_types::Entity::delete_many()
            .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
            .filter(ticket_types::Column::EventId.eq(id.as_str()))
            .exec(&txn)
            .await?;
        events::Entity::delete_by_id((org.to_string(), id.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn find_event(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    id: &EventId,
) -> Result<events::Model> {
    events::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("event"))
}

/// The production an event names; one of another organization is as unknown as a made-up one.
async fn production_for(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    id: &ProductionId,
) -> Result<productions::Model> {
    productions::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "production_id",
                format!("there is no production {id} in your organization"),
            )
        })
}

async fn venue_for(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    id: &VenueId,
) -> Result<venues::Model> {
    venues::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "venue_id",
                format!("there is no venue {id} in your organization"),
            )
        })
}

/// An event keeps its venue once tickets are sold (their seats are the venue's) or ticket types
/// are bound to the venue's GA areas.
async fn refuse_venue_change(txn: &DatabaseTransaction, org: &OrgId, id: &EventId) -> Result<()> {
    let ticket_count = tickets::Entity::find()
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::EventId.eq(id.as_str()))
        .count(txn)
        .await?;
    if ticket_count > 0 {
        return Err(Error::conflict(
            "venue_id",
            format!("the event has {ticket_count} tickets at its current venue; it cannot move"),
        ));
    }
    let bound = ticket_types::Entity::find()
        .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
        .filter(ticket_types::Column::EventId.eq(id.as_str()))
        .filter(ticket_types::Column::GaAreaId.is_not_null())
        .count(txn)
        .await?;
    if bound > 0 {
        return Err(Error::conflict(
            "venue_id",
            format!(
                "{bound} ticket types are for GA areas of the current venue; change them first"
            ),
        ));
    }
    Ok(())
}

/// The production and venue names of a page of events: one query each, however long the page.
struct EventNames {
    productions: HashMap<String, String>,
    /// Venue id → (name, time zone).
    venues: HashMap<String, (String, String)>,
}

impl EventNames {
    async fn load(
        conn: &impl ConnectionTrait,
        org: &OrgId,
        events: &[events::Model],
    ) -> Result<EventNames> {
        if events.is_empty() {
            return Ok(EventNames {
                productions: HashMap::new(),
                venues: HashMap::new(),
            });
        }
        let production_ids: HashSet<&str> =
            events.iter().map(|e| e.production_id.as_str()).collect();
        let venue_ids: HashSet<&str> = events.iter().map(|e| e.venue_id.as_str()).collect();
        let productions: Vec<(String, String)> = productions::Entity::find()
            .select_only()
            .column(productions::Column::Id)
            .column(productions::Column::Name)
            .filter(productions::Column::OrganizationId.eq(org.as_str()))
            .filter(productions::Column::Id.is_in(production_ids))
            .into_tuple()
            .all(conn)
            .await?;
        let venues: Vec<(String, String, String)> = venues::Entity::find()
            .select_only()
            .column(venues::Column::Id)
            .column(venues::Column::Name)
            .column(venues::Column::Timezone)
            .filter(venues::Column::OrganizationId.eq(org.as_str()))
            .filter(venues::Column::Id.is_in(venue_ids))
            .into_tuple()
            .all(conn)
            .await?;
        Ok(EventNames {
            productions: productions.into_iter().collect(),
            venues: venues
                .into_iter()
                .map(|(id, name, zone)| (id, (name, zone)))
                .collect(),
        })
    }

    fn event(&self, m: events::Model) -> Event {
        let production = self
            .productions
            .get(&m.production_id)
            .cloned()
            .unwrap_or_default();
        let venue = self.venues.get(&m.venue_id).cloned().unwrap_or_default();
        event_from(m, production, venue)
    }
}

fn event_from(
    m: events::Model,
    production_name: String,
    (venue_name, venue_timezone): (String, String),
) -> Event {
    Event {
        id: EventId::from_db(m.id),
        production_id: ProductionId::from_db(m.production_id),
        title: m.name.clone().unwrap_or_else(|| production_name.clone()),
        production_name,
        venue_id: VenueId::from_db(m.venue_id),
        venue_name,
        venue_timezone,
        name: m.name,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        status: EventStatus::from_db(&m.status),
        sales_start: m.sales_start,
        sales_end: m.sales_end,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

// ------------------------------------------------------------------------------------------
// Ticket types.

impl CatalogService {
    pub async fn create_ticket_type(
        &self,
        org: &OrgId,
        event: &EventId,
        new: NewTicketType,
    ) -> Result<TicketType> {
        let currency = match &new.currency {
            Some(code) => validate_currency(code)?,
            None => {
                TenancyService::new(self.db.clone())
                    .organization(org)
                    .await?
                    .currency
            }
        };
        let name = required("name", &new.name)?;
        let category = optional_text("category", new.category, 100)?;
        let price_minor = validate_amount("price_minor", new.price_minor)?;
        let capacity = check_capacity(new.capacity)?;
        check_window(new.sales_start, new.sales_end, "sales_end", "sales_start")?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let event = find_event(&txn, org, event).await?;
        if let Some(shop) = &new.shop_id {
            shop_for(&txn, org, shop).await?;
        }
        if let Some(area) = &new.ga_area_id {
            ga_area_for(&txn, org, &event.venue_id, area).await?;
        }
        let saved = ticket_types::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(TicketTypeId::generate().into_string()),
            event_id: Set(event.id),
            shop_id: Set(new.shop_id.map(ShopId::into_string)),
            name: Set(name),
            category: Set(category),
            price_minor: Set(price_minor),
            currency: Set(currency),
            capacity: Set(capacity),
            sold: Set(0),
            hidden: Set(new.hidden),
            ga_area_id: Set(new.ga_area_id.map(GaAreaId::into_string)),
            sales_start: Set(new.sales_start),
            sales_end: Set(new.sales_end),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(ticket_type_from(saved))
    }

    /// The event's ticket types, oldest first.
    pub async fn list_ticket_types(
        &self,
        org: &OrgId,
        event: &EventId,
        params: &PageParams,
    ) -> Result<Page<TicketType>> {
        let conn = self.db.reader();
        find_event(conn, org, event).await?;
        let select = ticket_types::Entity::find()
            .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
            .filter(ticket_types::Column::EventId.eq(event.as_str()));
        let page = fetch_page(conn, select, ticket_types::Column::Id, params, |m| {
            m.id.clone()
        })
        .await?;
        Ok(page.map(ticket_type_from))
    }

    pub async fn ticket_type(&self, org: &OrgId, id: &TicketTypeId) -> Result<TicketType> {
        find_ticket_type(self.db.reader(), org, id)
            .await
            .map(ticket_type_from)
    }

    pub async fn update_ticket_type(
        &self,
        org: &OrgId,
        id: &TicketTypeId,
        patch: TicketTypePatch,
    ) -> Result<TicketType> {
        let txn = self.db.begin_write().await?;
        let found = find_ticket_type(&txn, org, id).await?;
        check_window(
            patch.sales_start.unwrap_or(found.sales_start),
            patch.sales_end.unwrap_or(found.sales_end),
            "sales_end",
            "sales_start",
        )?;
        if let Some(Some(capacity)) = patch.capacity {
            set_capacity_not_below_sold(&txn, org, id, capacity).await?;
        }
        let venue = find_event(&txn, org, &EventId::from_db(found.event_id.clone()))
            .await?
            .venue_id;
        let mut active = found.into_active_model();
        if let Some(name) = &patch.name {
            active.name = Set(required("name", name)?);
        }
        if patch.category.is_some() {
            active.category = Set(optional_text("category", patch.category, 100)?);
        }
        if let Some(price) = patch.price_minor {
            active.price_minor = Set(validate_amount("price_minor", price)?);
        }
        if let Some(code) = &patch.currency {
            active.currency = Set(validate_currency(code)?);
        }
        if patch.capacity == Some(None) {
            active.capacity = Set(None);
        }
        if let Some(hidden) = patch.hidden {
            active.hidden = Set(hidden);
        }
        if let Some(shop) = patch.shop_id {
            if let Some(shop) = &shop {
                shop_for(&txn, org, shop).await?;
            }
            active.shop_id = Set(shop.map(ShopId::into_string));
        }
        if let Some(area) = patch.ga_area_id {
            if let Some(area) = &area {
                ga_area_for(&txn, org, &venue, area).await?;
            }
            active.ga_area_id = Set(area.map(GaAreaId::into_string));
        }
        if let Some(start) = patch.sales_start {
            active.sales_start = Set(start);
        }
        if let Some(end) = patch.sales_end {
            active.sales_end = Set(end);
        }
        // `sold` is left unset so the update never overwrites a sale made meanwhile.
        active.updated_at = Set(Utc::now());
        let saved = active.update(&txn).await?;
        txn.commit().await?;
        Ok(ticket_type_from(saved))
    }

    /// Deletes a ticket type no ticket was issued for.
    pub async fn delete_ticket_type(&self, org: &OrgId, id: &TicketTypeId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        find_ticket_type(&txn, org, id).await?;
        let ticket_count = tickets::Entity::find()
            .filter(tickets::Column::OrganizationId.eq(org.as_str()))
            .filter(tickets::Column::TicketTypeId.eq(id.as_str()))
            .count(&txn)
            .await?;
        if ticket_count > 0 {
            return Err(Error::conflict(
                "id",
                format!("{ticket_count} tickets were issued for this ticket type; hide it instead"),
            ));
        }
        ticket_types::Entity::delete_by_id((org.to_string(), id.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn find_ticket_type(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    id: &TicketTypeId,
) -> Result<ticket_types::Model> {
    ticket_types::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("ticket type"))
}

/// Lowers or raises a capacity with one conditional UPDATE: reading `sold` first and writing
/// after would let a sale made in between end up above the new capacity.
async fn set_capacity_not_below_sold(
    txn: &DatabaseTransaction,
    org: &OrgId,
    id: &TicketTypeId,
    capacity: i64,
) -> Result<()> {
    check_capacity(Some(capacity))?;
    let updated = ticket_types::Entity::update_many()
        .col_expr(ticket_types::Column::Capacity, Expr::value(capacity))
        .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
        .filter(ticket_types::Column::Id.eq(id.as_str()))
        .filter(ticket_types::Column::Sold.lte(capacity))
        .exec(txn)
        .await?;
    if updated.rows_affected > 0 {
        return Ok(());
    }
    let sold = find_ticket_type(txn, org, id).await?.sold;
    Err(Error::invalid(
        "capacity",
        format!("cannot be lower than the {sold} tickets already sold"),
    ))
}

/// A ticket type's shop must be one of the organization's shops.
async fn shop_for(conn: &impl ConnectionTrait, org: &OrgId, id: &ShopId) -> Result<shops::Model> {
    shops::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "shop_id",
                format!("there is no shop {id} in your organization"),
            )
        })
}

/// A ticket type's GA area must be one of its event's venue.
async fn ga_area_for(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    venue: &str,
    id: &GaAreaId,
) -> Result<()> {
    venue_ga_areas::Entity::find_by_id((org.to_string(), id.to_string()))
        .filter(venue_ga_areas::Column::VenueId.eq(venue))
        .one(conn)
        .await?
        .map(|_| ())
        .ok_or_else(|| {
            Error::invalid(
                "ga_area_id",
                format!("{id} is not a GA area of the event's venue"),
            )
        })
}

fn ticket_type_from(m: ticket_types::Model) -> TicketType {
    TicketType {
        id: TicketTypeId::from_db(m.id),
        event_id: EventId::from_db(m.event_id),
        shop_id: m.shop_id.map(ShopId::from_db),
        name: m.name,
        category: m.category,
        price_minor: m.price_minor,
        currency: m.currency,
        capacity: m.capacity,
        sold: m.sold,
        available: available(m.capacity, m.sold),
        hidden: m.hidden,
        ga_area_id: m.ga_area_id.map(GaAreaId::from_db),
        sales_start: m.sales_start,
        sales_end: m.sales_end,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

// ------------------------------------------------------------------------------------------
// Shops.

impl CatalogService {
    pub async fn create_shop(&self, org: &OrgId, new: NewShop) -> Result<Shop> {
        let now = Utc::now();
        let model = shops::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(ShopId::generate().into_string()),
            name: Set(required("name", &new.name)?),
            kind: Set(new.kind.as_str().to_string()),
            open: Set(new.open),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = self.db.begin_write().await?;
        let saved = model.insert(&txn).await?;
        txn.commit().await?;
        Ok(shop_from(saved, Vec::new()))
    }

    pub async fn list_shops(&self, org: &OrgId, params: &PageParams) -> Result<Page<Shop>> {
        let conn = self.db.reader();
        let select = shops::Entity::find().filter(shops::Column::OrganizationId.eq(org.as_str()));
        let page = fetch_page(conn, select, shops::Column::Id, params, |m| m.id.clone()).await?;
        let mut ticket_types = shop_ticket_types(conn, org, &page.items).await?;
        Ok(page.map(|m| {
            let ids = ticket_types.remove(&m.id).unwrap_or_default();
            shop_from(m, ids)
        }))
    }

    pub async fn shop(&self, org: &OrgId, id: &ShopId) -> Result<Shop> {
        let conn = self.db.reader();
        let found = find_shop(conn, org, id).await?;
        let mut ticket_types = shop_ticket_types(conn, org, std::slice::from_ref(&found)).await?;
        let ids = ticket_types.remove(&found.id).unwrap_or_default();
        Ok(shop_from(found, ids))
    }

    pub async fn update_shop(&self, org: &OrgId, id: &ShopId, patch: ShopPatch) -> Result<Shop> {
        let txn = self.db.begin_write().await?;
        let found = find_shop(&txn, org, id).await?;
        let mut active = found.into_active_model();
        if let Some(name) = &patch.name {
            active.name = Set(required("name", name)?);
        }
        if let Some(kind) = patch.kind {
            active.kind = Set(kind.as_str().to_string());
        }
        if let Some(open) = patch.open {
            active.open = Set(open);
        }
        active.updated_at = Set(Utc::now());
        let saved = active.update(&txn).await?;
        let mut ticket_types = shop_ticket_types(&txn, org, std::slice::from_ref(&saved)).await?;
        txn.commit().await?;
        let ids = ticket_types.remove(&saved.id).unwrap_or_default();
        Ok(shop_from(saved, ids))
    }

    /// Deletes a shop no ticket type belongs to.
    pub async fn delete_shop(&self, org: &OrgId, id: &ShopId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        find_shop(&txn, org, id).await?;
        let used_by = ticket_types::Entity::find()
            .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
            .filter(ticket_types::Column::ShopId.eq(id.as_str()))
            .count(&txn)
            .await?;
        if used_by > 0 {
            return Err(Error::conflict(
                "id",
                format!("{used_by} ticket types belong to this shop; move or delete them first"),
            ));
        }
        shops::Entity::delete_by_id((org.to_string(), id.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn find_shop(conn: &impl ConnectionTrait, org: &OrgId, id: &ShopId) -> Result<shops::Model> {
    shops::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("shop"))
}

/// The ticket type ids of each shop on a page, in one query.
async fn shop_ticket_types(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    shops: &[shops::Model],
) -> Result<HashMap<String, Vec<TicketTypeId>>> {
    if shops.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Option<String>)> = ticket_types::Entity::find()
        .select_only()
        .column(ticket_types::Column::Id)
        .column(ticket_types::Column::ShopId)
        .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
        .filter(ticket_types::Column::ShopId.is_in(shops.iter().map(|s| s.id.as_str())))
        .order_by_asc(ticket_types::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let mut by_shop: HashMap<String, Vec<TicketTypeId>> = HashMap::new();
    for (id, shop) in rows {
        if let Some(shop) = shop {
            by_shop
                .entry(shop)
                .or_default()
                .push(TicketTypeId::from_db(id));
        }
    }
    Ok(by_shop)
}

fn shop_from(m: shops::Model, ticket_type_ids: Vec<TicketTypeId>) -> Shop {
    Shop {
        id: ShopId::from_db(m.id),
        name: m.name,
        kind: ShopKind::from_db(&m.kind),
        open: m.open,
        ticket_type_ids,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn production_from(m: productions::Model) -> Production {
    Production {
        id: ProductionId::from_db(m.id),
        name: m.name,
        description: m.description,
        genre: m.genre,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// `word` (any case) in the event's own name, or its production's or venue's name. Written with
/// sub-selects so the search stays one query on either backend.
fn event_name_contains(org: &OrgId, word: &str) -> sea_orm::Condition {
    use sea_orm::sea_query::{Expr, Func, Query};
    let pattern = format!("%{}%", escape_like(&word.to_lowercase()));
    let lower_like = |column: sea_orm::sea_query::SimpleExpr| {
        Expr::expr(Func::lower(column))
            .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
    };
    let productions_named = Query::select()
        .column(productions::Column::Id)
        .from(productions::Entity)
        .and_where(productions::Column::OrganizationId.eq(org.as_str()))
        .and_where(lower_like(Expr::col(productions::Column::Name).into()))
        .to_owned();
    let venues_named = Query::select()
        .column(venues::Column::Id)
        .from(venues::Entity)
        .and_where(venues::Column::OrganizationId.eq(org.as_str()))
        .and_where(lower_like(Expr::col(venues::Column::Name).into()))
        .to_owned();
    sea_orm::Condition::any()
        .add(lower_like(Expr::col(events::Column::Name).into()))
        .add(events::Column::ProductionId.in_subquery(productions_named))
        .add(events::Column::VenueId.in_subquery(venues_named))
}

/// Escapes LIKE's wildcards so a search for `50%` finds "50%".
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
