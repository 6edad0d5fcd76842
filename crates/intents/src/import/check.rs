//! The first pass of an intents import: every row checked against the catalogue, the seats and
//! the capacity left, as the file would book them in order — so a dry run reports what a real
//! run would refuse, and the rejected-rows file of a real run is complete but for what changes
//! between the check and the booking (a concurrent sale), which the writer refuses itself.
//!
//! References are looked up a chunk at a time (one query per kind of id) and kept: an event's
//! stock (its ticket types, seats and areas with what is sold) is read once per import.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fullhouse_core::import::{Columns, Rejection, RowCheck, Verdict};
use fullhouse_core::tabular::Row;
use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_ticketing::model::orders::SeatNames;
use fullhouse_ticketing::service::sale_facts::{
    customers_by_email, event_stocks, existing_customers, SeatScope,
};
use fullhouse_ticketing::store::{shops, ticket_types};
use fullhouse_ticketing::{CustomerId, EventId, ShopId, TicketTypeId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{Place, RowCustomer, RowTicket, RowValue, FIELDS, SEAT_FIELDS};
use crate::model::{row_key, Delivery};
use crate::store::intent_row_keys;

/// Ids per `IN (…)` lookup.
const LOOKUP_CHUNK: usize = 500;

/// The reason a seat taken, held or sold is refused with (the words organizers know).
pub const SEAT_TAKEN: &str = "Cannot reserve seat";

/// What the check keeps across the chunks of a file.
pub struct IntentCheck {
    db: Db,
    org: OrgId,
    source: String,
    now: DateTime<Utc>,
    /// Events by id: `None` when the organization has no such event.
    events: HashMap<String, Option<EventFacts>>,
    /// Ticket types not of any event read above, by id: their event (`None`: no such type).
    other_types: HashMap<String, Option<String>>,
    shops: HashMap<String, bool>,
    customers: HashMap<String, bool>,
    /// Lowercased emails: the customer with that email, `None` when there is none yet.
    emails: HashMap<String, Option<CustomerId>>,
    /// Seats a row of the file already named: (event, seat).
    seats_named: HashSet<(String, String)>,
    /// Places the file's rows took so far: per ticket type, per (event, area).
    type_taken: HashMap<String, i64>,
    area_taken: HashMap<(String, String), i64>,
    /// Identical standing rows seen so far, and the occurrence of each row past the first.
    occurrences: HashMap<String, usize>,
    row_occurrence: HashMap<u64, usize>,
    /// Rows whose key is stored: the intent that booked them.
    already: HashMap<u64, String>,
}

struct EventFacts {
    starts_at: DateTime<Utc>,
    types: HashMap<String, TypeFacts>,
    seats: HashMap<SeatNames, (String, bool)>,
    /// Lowercased names: (area id, places left).
    areas: HashMap<String, (String, i64)>,
    area_left: HashMap<String, i64>,
}

struct TypeFacts {
    shop_id: Option<String>,
    ga_area_id: Option<String>,
    left: Option<i64>,
}

impl IntentCheck {
    pub fn new(db: Db, org: OrgId, source: String, now: DateTime<Utc>) -> Self {
        Self {
            db,
            org,
            source,
            now,
            events: HashMap::new(),
            other_types: HashMap::new(),
            shops: HashMap::new(),
            customers: HashMap::new(),
            emails: HashMap::new(),
            seats_named: HashSet::new(),
            type_taken: HashMap::new(),
            area_taken: HashMap::new(),
            occurrences: HashMap::new(),
            row_occurrence: HashMap::new(),
            already: HashMap::new(),
        }
    }

    /// Reads what the chunk's rows name and this check has not read yet.
    async fn look_up(&mut self, drafts: &[&RowTicket]) -> Result<()> {
        let reader = self.db.reader();
        let org = &self.org;
        let events: Vec<EventId> = unseen(drafts.iter().map(|d| d.event_id.as_str()), &self.events)
            .into_iter()
            .map(EventId::from_db)
            .collect();
        for part in events.chunks(LOOKUP_CHUNK) {
            let wanted: Vec<(EventId, SeatScope)> =
                part.iter().map(|e| (e.clone(), SeatScope::All)).collect();
            let mut stocks = event_stocks(reader, org, &wanted).await?;
            for event in part {
                let facts = stocks.remove(event.as_str()).map(|stock| EventFacts {
                    starts_at: stock.starts_at,
                    types: stock
                        .ticket_types
                        .iter()
                        .map(|t| {
                            let facts = TypeFacts {
                                shop_id: t.shop_id.as_ref().map(ToString::to_string),
                                ga_area_id: t.ga_area_id.as_ref().map(ToString::to_string),
                                left: t.left(),
                            };
                            (t.id.to_string(), facts)
                        })
                        .collect(),
                    seats: stock
                        .seats
                        .iter()
                        .map(|s| {
                            let names = SeatNames {
                                section_name: s.section_name.clone(),
                                group_name: s.group_name.clone(),
                                row_name: s.row_name.clone(),
                                seat_label: s.seat_label.clone(),
                            };
                            (names, (s.id.to_string(), s.sold))
                        })
                        .collect(),
                    areas: stock
                        .ga_areas
                        .iter()
                        .map(|a| {
                            let left = (a.capacity - a.sold).max(0);
                            (a.name.trim().to_lowercase(), (a.id.to_string(), left))
                        })
                        .collect(),
                    area_left: stock
                        .ga_areas
                        .iter()
                        .map(|a| (a.id.to_string(), (a.capacity - a.sold).max(0)))
                        .collect(),
                });
                self.events.insert(event.to_string(), facts);
            }
        }
        let types = drafts
            .iter()
            .filter(|d| !self.type_known(d))
            .map(|d| d.ticket_type_id.as_str());
        for part in unseen(types, &self.other_types).chunks(LOOKUP_CHUNK) {
            let found: HashMap<String, String> = ticket_types::Entity::find()
                .select_only()
                .column(ticket_types::Column::Id)
                .column(ticket_types::Column::EventId)
                .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
                .filter(ticket_types::Column::Id.is_in(part.iter().cloned()))
                .into_tuple::<(String, String)>()
                .all(reader)
                .await?
                .into_iter()
                .collect();
            for id in part {
                self.other_types.insert(id.clone(), found.get(id).cloned());
            }
        }
        let shop_ids = drafts
            .iter()
            .filter_map(|d| d.shop_id.as_ref().map(ShopId::as_str));
        for part in unseen(shop_ids, &self.shops).chunks(LOOKUP_CHUNK) {
            let found: HashSet<String> = shops::Entity::find()
                .select_only()
                .column(shops::Column::Id)
                .filter(shops::Column::OrganizationId.eq(org.as_str()))
                .filter(shops::Column::Id.is_in(part.iter().cloned()))
                .into_tuple::<String>()
                .all(reader)
                .await?
                .into_iter()
                .collect();
            for id in part {
                self.shops.insert(id.clone(), found.contains(id));
            }
        }
        let ids = drafts.iter().filter_map(|d| match &d.customer {
            RowCustomer::Id(id) => Some(id.as_str()),
            RowCustomer::Email { .. } => None,
        });
        for part in unseen(ids, &self.customers).chunks(LOOKUP_CHUNK) {
            let wanted: Vec<CustomerId> = part.iter().cloned().map(CustomerId::from_db).collect();
            let found = existing_customers(reader, org, &wanted.iter().collect::<Vec<_>>()).await?;
            for id in wanted {
                let known = found.contains(&id);
                self.customers.insert(id.into_string(), known);
            }
        }
        let emails = drafts.iter().filter_map(|d| match &d.customer {
            RowCustomer::Email { email, .. } => Some(email.as_str()),
            RowCustomer::Id(_) => None,
        });
        for part in unseen(emails, &self.emails).chunks(LOOKUP_CHUNK) {
            let wanted: Vec<&str> = part.iter().map(String::as_str).collect();
            let found = customers_by_email(reader, org, &wanted).await?;
            for email in part {
                self.emails.insert(email.clone(), found.get(email).cloned());
            }
        }
        Ok(())
    }

    fn type_known(&self, draft: &RowTicket) -> bool {
        matches!(
            self.events.get(draft.event_id.as_str()),
            Some(Some(facts)) if facts.types.contains_key(draft.ticket_type_id.as_str())
        )
    }

    /// The customer's id when known (`None`: unknown id, or an email with no customer yet).
    fn customer_id(&self, customer: &RowCustomer) -> Option<CustomerId> {
        match customer {
            RowCustomer::Id(id) => Some(id.clone()),
            RowCustomer::Email { email, .. } => self.emails.get(email).cloned().flatten(),
        }
    }

    /// The references of a row; its refusal when one is unknown or does not fit.
    fn references(&self, draft: &RowTicket) -> std::result::Result<(), Rejection> {
        if let RowCustomer::Id(id) = &draft.customer {
            if self.customers.get(id.as_str()) != Some(&true) {
                return Err(Rejection::new("customerId", "customerId not found"));
            }
        }
        let Some(Some(event)) = self.events.get(draft.event_id.as_str()) else {
            return Err(Rejection::new("eventId", "eventId not found"));
        };
        if event.starts_at <= self.now {
            return Err(Rejection::new(
                "eventId",
                "this event has already begun: nothing can be booked for it",
            ));
        }
        if let Some(shop) = &draft.shop_id {
            if self.shops.get(shop.as_str()) != Some(&true) {
                return Err(Rejection::new("shopId", "shopId not found"));
            }
        }
        let Some(ticket_type) = event.types.get(draft.ticket_type_id.as_str()) else {
            return Err(match self.other_types.get(draft.ticket_type_id.as_str()) {
                Some(Some(_)) => Rejection::new(
                    "ticketTypeId",
                    "ticketTypeId belongs to another event than eventId",
                ),
                _ => Rejection::new("ticketTypeId", "ticketTypeId not found"),
            });
        };
        let shop = draft.shop_id.as_ref().map(ToString::to_string);
        if ticket_type.shop_id != shop {
            return Err(Rejection::new(
                "ticketTypeId",
                match ticket_type.shop_id {
                    Some(_) => "ticketTypeId is sold only in its secret shop: give its shopId",
                    None => "ticketTypeId is not sold in this shop",
                },
            ));
        }
        match (&draft.place, &ticket_type.ga_area_id) {
            (Place::Seat(_), Some(_)) => Err(Rejection::new(
                "seatName",
                "ticketTypeId is general admission: leave the seat empty",
            )),
            (Place::Standing(None), None) => Err(Rejection::new(
                "seatName",
                "ticketTypeId is seated: give the seat (or gaName)",
            )),
            (Place::Standing(Some(name)), None) => match event.areas.get(&name.to_lowercase()) {
                Some(_) => Ok(()),
                None => Err(Rejection::new("gaName", "gaName not found")),
            },
            _ => Ok(()),
        }
    }

    /// Takes the row's seat or place among what the file booked so far; its refusal when the
    /// seat is gone, named twice, or capacity is used up.
    fn take_place(&mut self, draft: &RowTicket) -> std::result::Result<(), Rejection> {
        let Some(Some(event)) = self.events.get(draft.event_id.as_str()) else {
            return Err(Rejection::new("eventId", "eventId not found"));
        };
        let Some(ticket_type) = event.types.get(draft.ticket_type_id.as_str()) else {
            return Err(Rejection::new("ticketTypeId", "ticketTypeId not found"));
        };
        let (mut seat, mut area) = (None, None);
        match &draft.place {
            Place::Seat(names) => {
                let Some((id, sold)) = event.seats.get(names) else {
                    return Err(Rejection::new(
                        "seatName",
                        format!(
                            "seat not found: {}/{}/{}/{}",
                            names.section_name, names.group_name, names.row_name, names.seat_label
                        ),
                    ));
                };
                if *sold {
                    return Err(Rejection::new("seatName", SEAT_TAKEN));
                }
                let named = (draft.event_id.to_string(), id.clone());
                if self.seats_named.contains(&named) {
                    return Err(Rejection::new("seatName", "seat named twice in the file"));
                }
                seat = Some(named);
            }
            Place::Standing(name) => {
                let found = match (&ticket_type.ga_area_id, name) {
                    (Some(id), _) => event.area_left.get(id).map(|left| (id.clone(), *left)),
                    (None, Some(name)) => event.areas.get(&name.to_lowercase()).cloned(),
                    (None, None) => None,
                };
                if let Some((id, left)) = found {
                    let key = (draft.event_id.to_string(), id);
                    if self.area_taken.get(&key).copied().unwrap_or(0) + 1 > left {
                        let field = if name.is_some() {
                            "gaName"
                        } else {
                            "ticketTypeId"
                        };
                        return Err(Rejection::new(
                            field,
                            "sold out: the general-admission area has no place left",
                        ));
                    }
                    area = Some(key);
                }
            }
        }
        if let Some(left) = ticket_type.left {
            let taken = self
                .type_taken
                .get(draft.ticket_type_id.as_str())
                .copied()
                .unwrap_or(0);
            if taken + 1 > left {
                return Err(Rejection::new(
                    "ticketTypeId",
                    "sold out: the ticket type has no place left",
                ));
            }
        }
        *self
            .type_taken
            .entry(draft.ticket_type_id.to_string())
            .or_default() += 1;
        if let Some(area) = area {
            *self.area_taken.entry(area).or_default() += 1;
        }
        if let Some(seat) = seat {
            self.seats_named.insert(seat);
        }
        Ok(())
    }

    /// The row's occurrence among identical standing rows (0 for a seat, whose key is unique).
    fn occurrence(&mut self, row: u64, draft: &RowTicket) -> usize {
        if matches!(draft.place, Place::Seat(_)) {
            return 0;
        }
        let customer = match &draft.customer {
            RowCustomer::Id(id) => id.to_string(),
            RowCustomer::Email { email, .. } => email.clone(),
        };
        let same = format!(
            "{customer}\0{}\0{}\0{}",
            draft.event_id,
            draft.ticket_type_id,
            draft.place.key()
        );
        let seen = self.occurrences.entry(same).or_default();
        let occurrence = *seen;
        *seen += 1;
        if occurrence > 0 {
            self.row_occurrence.insert(row, occurrence);
        }
        occurrence
    }

    /// The stored keys among `keys`: key → the intent that booked it.
    async fn stored_keys(&self, keys: &[String]) -> Result<HashMap<String, String>> {
        let mut found = HashMap::new();
        for part in keys.chunks(LOOKUP_CHUNK) {
            let rows: Vec<(String, String)> = intent_row_keys::Entity::find()
                .select_only()
                .column(intent_row_keys::Column::Id)
                .column(intent_row_keys::Column::IntentId)
                .filter(intent_row_keys::Column::OrganizationId.eq(self.org.as_str()))
                .filter(intent_row_keys::Column::Id.is_in(part.iter().cloned()))
                .into_tuple()
                .all(self.db.reader())
                .await?;
            found.extend(rows);
        }
        Ok(found)
    }
}

/// The ids among `ids` not yet in `seen`, once each.
fn unseen<'a, V>(ids: impl Iterator<Item = &'a str>, seen: &HashMap<String, V>) -> Vec<String> {
    let mut wanted: Vec<String> = ids
        .filter(|id| !seen.contains_key(*id))
        .map(str::to_string)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    wanted.sort();
    wanted
}

/// The key of a checked row (see [`row_key`]).
pub(crate) fn key_of(source: &str, customer: &CustomerId, ticket: &RowTicket) -> String {
    row_key(
        source,
        customer,
        &ticket.event_id,
        &ticket.ticket_type_id,
        &ticket.place.key(),
        ticket.occurrence,
    )
}

/// Reads a row's cells into a ticket: every column the file has must be filled (but the place
/// columns, which a standing row leaves empty and a seated row fills), ids must read as ids.
pub(crate) fn draft(
    columns: &Columns,
    row: &Row,
) -> std::result::Result<RowTicket, Vec<Rejection>> {
    let mut problems = Vec::new();
    let get = |field: &str| columns.get(row, field);
    let present = |field: &str| columns.map.column(field).is_some();
    let seated = SEAT_FIELDS.iter().any(|f| get(f).is_some());
    for field in FIELDS.iter().map(|f| f.name) {
        let place_column = SEAT_FIELDS.contains(&field) || field == "gaName";
        let needed = match field {
            f if SEAT_FIELDS.contains(&f) => seated,
            "gaName" => !seated,
            _ => true,
        };
        if present(field) && get(field).is_none() && (needed || !place_column) {
            problems.push(Rejection::new(field, format!("{field} cannot be empty")));
        }
    }
    if seated && get("gaName").is_some() {
        problems.push(Rejection::new("gaName", "give a seat or gaName, not both"));
    }
    let customer = match (get("customerId"), get("customerEmail")) {
        (Some(raw), _) => CustomerId::parse(raw).map(RowCustomer::Id).ok(),
        (None, Some(email)) => {
            if email.contains('@') && email.len() <= 254 {
                Some(RowCustomer::Email {
                    email: email.to_lowercase(),
                    first_name: get("firstName").map(str::to_string),
                    last_name: get("lastName").map(str::to_string),
                })
            } else {
                problems.push(Rejection::new(
                    "customerEmail",
                    "customerEmail is not an email address",
                ));
                None
            }
        }
        (None, None) => None,
    };
    if customer.is_none() && get("customerId").is_some() {
        problems.push(Rejection::new("customerId", "customerId not found"));
    }
    let parsed = |field: &str, ok: bool| {
        if !ok && get(field).is_some() {
            Some(Rejection::new(field, format!("{field} not found")))
        } else {
            None
        }
    };
    let event_id = get("eventId").and_then(|raw| EventId::parse(raw).ok());
    problems.extend(parsed("eventId", event_id.is_some()));
    let ticket_type_id = get("ticketTypeId").and_then(|raw| TicketTypeId::parse(raw).ok());
    problems.extend(parsed("ticketTypeId", ticket_type_id.is_some()));
    let shop_id = get("shopId").and_then(|raw| ShopId::parse(raw).ok());
    problems.extend(parsed("shopId", shop_id.is_some()));
    let delivery = match get("deliveryType") {
        None => Some(Delivery::Virtual),
        Some(raw) => Delivery::parse(raw),
    };
    if delivery.is_none() {
        problems.push(Rejection::new(
            "deliveryType",
            "deliveryType must be VIRTUAL or HARD",
        ));
    }
    let place = if seated {
        let cell = |field| get(field).unwrap_or_default().to_string();
        Place::Seat(SeatNames {
            section_name: cell("sectionName"),
            group_name: cell("groupName"),
            row_name: cell("rowName"),
            seat_label: cell("seatName"),
        })
    } else {
        Place::Standing(get("gaName").map(str::to_string))
    };
    match (customer, event_id, ticket_type_id, delivery) {
        (Some(customer), Some(event_id), Some(ticket_type_id), Some(delivery))
            if problems.is_empty() =>
        {
            Ok(RowTicket {
                customer,
                event_id,
                shop_id,
                ticket_type_id,
                delivery,
                company: get("company").map(str::to_string),
                place,
                occurrence: 0,
            })
        }
        _ => Err(problems),
    }
}

#[async_trait::async_trait]
impl RowCheck for IntentCheck {
    type Value = RowValue;

    async fn check(&mut self, columns: &Columns, rows: &[Row]) -> Result<Vec<Verdict>> {
        if columns.map.column("customerId").is_none()
            && columns.map.column("customerEmail").is_none()
        {
            return Err(Error::invalid(
                "customerId",
                "no column maps to the customer: choose a column for customerId or customerEmail",
            ));
        }
        let drafts: Vec<std::result::Result<RowTicket, Vec<Rejection>>> =
            rows.iter().map(|row| draft(columns, row)).collect();
        let readable: Vec<&RowTicket> = drafts.iter().filter_map(|d| d.as_ref().ok()).collect();
        self.look_up(&readable).await?;
        // The references first, then the keys of the rows that pass, in one lookup.
        let mut checked: Vec<std::result::Result<(RowTicket, Option<String>), Vec<Rejection>>> =
            Vec::with_capacity(rows.len());
        for (row, draft) in rows.iter().zip(drafts) {
            let verdict = draft.and_then(|mut ticket| {
                self.references(&ticket).map_err(|r| vec![r])?;
                ticket.occurrence = self.occurrence(row.number, &ticket);
                let key = self
                    .customer_id(&ticket.customer)
                    .map(|customer| key_of(&self.source, &customer, &ticket));
                Ok((ticket, key))
            });
            checked.push(verdict);
        }
        let keys: Vec<String> = checked
            .iter()
            .filter_map(|c| c.as_ref().ok().and_then(|(_, key)| key.clone()))
            .collect();
        let stored = self.stored_keys(&keys).await?;
        let mut verdicts = Vec::with_capacity(rows.len());
        for (row, checked) in rows.iter().zip(checked) {
            let verdict = match checked {
                Err(rejections) => Err(rejections),
                Ok((ticket, key)) => match key.and_then(|k| stored.get(&k).cloned()) {
                    Some(intent) => {
                        self.already.insert(row.number, intent);
                        Ok(())
                    }
                    None => self.take_place(&ticket).map_err(|r| vec![r]),
                },
            };
            verdicts.push(verdict);
        }
        Ok(verdicts)
    }

    fn value(&self, columns: &Columns, row: &Row) -> Result<RowValue> {
        if let Some(intent) = self.already.get(&row.number) {
            return Ok(RowValue::Already(intent.clone()));
        }
        let mut ticket = draft(columns, row).map_err(|_| {
            Error::internal(format!("row {} changed between the two passes", row.number))
        })?;
        ticket.occurrence = self.row_occurrence.get(&row.number).copied().unwrap_or(0);
        if let Some(id) = self.customer_id(&ticket.customer) {
            ticket.customer = RowCustomer::Id(id);
        }
        Ok(RowValue::Book(Box::new(ticket)))
    }
}
