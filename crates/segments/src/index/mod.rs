//! The segment index of one organization (DESIGN §2.3): customers get dense `u32` numbers;
//! categorical facts are roaring bitmaps over those numbers, numeric facts are compact columns
//! scanned within the segment ([`eval`]). A count is a handful of bitmap operations and one
//! fused scan, never SQL.
//!
//! The index is built from the database ([`build`]) and kept fresh by replacing the rows of
//! customers that domain events name ([`OrgIndex::replace`]); the [`Registry`] holds one per
//! organization.

pub mod build;
pub mod columns;
pub mod eval;
pub mod filters;
pub mod registry;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use fullhouse_core::Result;
use fullhouse_ticketing::service::facts::CatalogFacts;
use roaring::{MultiOps, RoaringBitmap};

use crate::model::{self, *};
use columns::{Around, Revenues, SmallCounts, VenueDistances, MAX_VENUE_COLUMNS};
use eval::Base;

pub use registry::Registry;

/// What one customer contributes to the index, already aggregated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerRecord {
    /// The ULID of the customer id.
    pub id: u128,
    pub gender: Option<InferredGender>,
    pub birth_date: Option<NaiveDate>,
    pub subscriber: bool,
    pub coordinates: Option<(f64, f64)>,
    pub tags: Vec<String>,
    pub permissions: Vec<String>,
    pub sales: SalesSummary,
    /// Ticket-type numbers (see [`Catalog`]) the customer holds a valid ticket of.
    pub holdings: Vec<u32>,
}

/// A customer's sales, over every valid ticket of a placed order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SalesSummary {
    pub tickets: u32,
    pub events: u32,
    pub orders: u32,
    pub revenue_minor: i64,
    /// Day number of the newest order.
    pub last_day: Option<i32>,
    /// The fewest days between an order's day and its event's day.
    pub impulse_days: Option<i32>,
    pub online: bool,
    pub box_office: bool,
}

/// An event as the index knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventEntry {
    pub facts: EventFacts,
    pub day: i32,
}

/// A ticket type: its event (by number) and category.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketTypeEntry {
    pub id: String,
    pub event: u32,
    pub category: Option<String>,
}

/// The organization's venues, events and ticket types, numbered. Numbers never change once
/// given, so holder bitmaps stay valid when the catalog is read again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// The organization's time zone: purchases are bucketed by its calendar days.
    pub zone: Tz,
    pub events: Vec<EventEntry>,
    pub event_numbers: HashMap<String, u32>,
    pub ticket_types: Vec<TicketTypeEntry>,
    pub ticket_type_numbers: HashMap<String, u32>,
    pub venues: HashMap<String, (f64, f64)>,
}

impl Catalog {
    /// Adds what is new in `facts` and updates what changed (an event moved to another day).
    pub fn merge(&mut self, facts: CatalogFacts) {
        for venue in facts.venues {
            match (venue.latitude, venue.longitude) {
                (Some(lat), Some(lon)) => {
                    self.venues.insert(venue.id, (lat, lon));
                }
                _ => {
                    self.venues.remove(&venue.id);
                }
            }
        }
        for event in facts.events {
            let entry = EventEntry {
                day: model::day_number(event.starts_at.date_naive()),
                facts: EventFacts {
                    id: event.id.clone(),
                    production_id: event.production_id,
                    venue_id: event.venue_id,
                    starts_at: event.starts_at,
                },
            };
            self.add_event(entry);
        }
        for tt in facts.ticket_types {
            let Some(&event) = self.event_numbers.get(&tt.event_id) else {
                continue;
            };
            self.add_ticket_type(TicketTypeEntry {
                id: tt.id,
                event,
                category: tt.category,
            });
        }
    }

    /// Adds or updates an event; returns its number.
    pub fn add_event(&mut self, entry: EventEntry) -> u32 {
        if let Some(&n) = self.event_numbers.get(&entry.facts.id) {
            if let Some(slot) = self.events.get_mut(n as usize) {
                *slot = entry;
            }
            return n;
        }
        let n = number(self.events.len());
        self.event_numbers.insert(entry.facts.id.clone(), n);
        self.events.push(entry);
        n
    }

    /// Adds or updates a ticket type; returns its number.
    pub fn add_ticket_type(&mut self, entry: TicketTypeEntry) -> u32 {
        if let Some(&n) = self.ticket_type_numbers.get(&entry.id) {
            if let Some(slot) = self.ticket_types.get_mut(n as usize) {
                *slot = entry;
            }
            return n;
        }
        let n = number(self.ticket_types.len());
        self.ticket_type_numbers.insert(entry.id.clone(), n);
        self.ticket_types.push(entry);
        n
    }

    fn event_of(&self, tt: &TicketTypeEntry) -> Option<&EventEntry> {
        self.events.get(tt.event as usize)
    }
}

fn number(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

// Column encodings: compact, with a reserved "unknown" value each (bytes per customer matter at
// ten million customers).
/// Birth dates as days since 1900-01-01 plus one; 0 is unknown.
const BIRTH_EPOCH: i32 = -25_567;
const NO_BIRTH: u16 = 0;
/// Last purchase as days since 1970-01-01 plus one; 0 is never.
const NO_PURCHASE: u16 = 0;
/// Impulse days, clamped; `i16::MAX` is none.
const NO_IMPULSE: i16 = i16::MAX;

fn encode_birth(day: Option<NaiveDate>) -> u16 {
    match day {
        None => NO_BIRTH,
        Some(day) => (model::day_number(day) - BIRTH_EPOCH + 1).clamp(1, 65_535) as u16,
    }
}

fn encode_purchase(day: Option<i32>) -> u16 {
    match day {
        None => NO_PURCHASE,
        Some(day) => (day + 1).clamp(1, 65_535) as u16,
    }
}

fn encode_impulse(days: Option<i32>) -> i16 {
    match days {
        None => NO_IMPULSE,
        Some(days) => days.clamp(-32_767, 32_766) as i16,
    }
}

/// The index of one organization.
#[derive(Default)]
pub struct OrgIndex {
    /// Customer number → ULID of the customer id.
    ids: Vec<u128>,
    numbers: HashMap<u128, u32>,
    /// Every current customer (erased customers leave it; their numbers are not reused).
    alive: RoaringBitmap,
    birth: Vec<u16>,
    tickets: SmallCounts,
    events: SmallCounts,
    orders: SmallCounts,
    revenue: Revenues,
    last_purchase: Vec<u16>,
    impulse: Vec<i16>,
    /// Latitude and longitude; NaN when unknown.
    coordinates: Vec<(f64, f64)>,
    /// Distance codes from the catalog's venues (the first [`MAX_VENUE_COLUMNS`] by id).
    venue_distances: HashMap<String, VenueDistances>,
    female: RoaringBitmap,
    male: RoaringBitmap,
    online: RoaringBitmap,
    box_office: RoaringBitmap,
    subscriber: RoaringBitmap,
    tags: HashMap<String, RoaringBitmap>,
    permissions: HashMap<String, RoaringBitmap>,
    /// Holders per ticket-type number.
    holders: Vec<RoaringBitmap>,
    pub catalog: Catalog,
    /// Bumped by every change, so cached segment bases know when they are stale.
    generation: u64,
    /// The segments asked for lately, newest first: a dashboard asks for the same segment
    /// with every filter change.
    base_cache: Mutex<Vec<Arc<CachedBase>>>,
}

/// Segments kept per index: one per open dashboard, about.
const BASE_CACHE_SIZE: usize = 8;

struct CachedBase {
    key: String,
    generation: u64,
    base: Base,
}

/// A count request, resolved.
#[derive(Debug, Clone)]
pub struct SegmentQuery {
    pub definition: SegmentDefinition,
    pub view_for: ViewFor,
    pub filters: Vec<Filter>,
    /// Today on the organization's calendar ([`OrgIndex::today`]).
    pub today: NaiveDate,
    /// The organization's time zone: every day boundary (the window, the event filter's
    /// dates, purchase recency) is its midnight.
    pub zone: Tz,
}

impl OrgIndex {
    pub fn new(catalog: Catalog) -> Self {
        Self {
            catalog,
            ..Default::default()
        }
    }

    /// The organization's time zone, read when the index was built.
    pub fn zone(&self) -> Tz {
        self.catalog.zone
    }

    /// Today on the organization's calendar at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        model::local_date(now, self.catalog.zone)
    }

    /// How many customers the index holds.
    pub fn len(&self) -> u64 {
        self.alive.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alive.is_empty()
    }

    /// Takes a catalog read again (numbers kept); forgets cached segment bases when it differs.
    pub fn set_catalog(&mut self, catalog: Catalog) {
        if catalog == self.catalog {
            return;
        }
        self.catalog = catalog;
        self.sync_venues();
        self.generation += 1;
    }

    /// Gives the catalog's venues (the first [`MAX_VENUE_COLUMNS`] by id) distance columns
    /// for where they are now, and drops the columns of venues gone or moved.
    pub fn sync_venues(&mut self) {
        let mut wanted: Vec<(&String, &(f64, f64))> = self.catalog.venues.iter().collect();
        wanted.sort_by(|a, b| a.0.cmp(b.0));
        wanted.truncate(MAX_VENUE_COLUMNS);
        self.venue_distances.retain(|id, column| {
            wanted
                .iter()
                .any(|(venue, &at)| *venue == id && at == column.at)
        });
        for (venue, &at) in wanted {
            if self.venue_distances.contains_key(venue) {
                continue;
            }
            let around = Around::new(at);
            let codes = self.coordinates.iter().map(|&c| around.code(c)).collect();
            self.venue_distances
                .insert(venue.clone(), VenueDistances { at, codes });
        }
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The customer id of a number.
    pub fn customer_id(&self, number: u32) -> Option<String> {
        self.ids
            .get(number as usize)
            .map(|id| format!("cus_{}", ulid::Ulid(*id)))
    }

    /// Appends a customer the index has not seen (the bulk build, in id order).
    pub fn push(&mut self, record: CustomerRecord) -> u32 {
        let n = number(self.ids.len());
        self.ids.push(record.id);
        self.numbers.insert(record.id, n);
        self.birth.push(NO_BIRTH);
        self.tickets.push();
        self.events.push();
        self.orders.push();
        self.revenue.push();
        self.last_purchase.push(NO_PURCHASE);
        self.impulse.push(NO_IMPULSE);
        self.coordinates.push((f64::NAN, f64::NAN));
        for column in self.venue_distances.values_mut() {
            column.codes.push(columns::DISTANCE_UNKNOWN);
        }
        self.set(n, &record);
        self.generation += 1;
        n
    }

    /// Replaces the rows of the customers in `records` and drops the customers in `gone`:
    /// every bitmap loses the affected numbers, then each record is written again.
    pub fn replace(&mut self, records: Vec<CustomerRecord>, gone: &[u128]) {
        let affected: RoaringBitmap = records
            .iter()
            .map(|r| r.id)
            .chain(gone.iter().copied())
            .filter_map(|id| self.numbers.get(&id).copied())
            .collect();
        if !affected.is_empty() {
            for bitmap in self.bitmaps_mut() {
                *bitmap -= &affected;
            }
        }
        for number in &affected {
            self.clear_columns(number);
        }
        for id in gone {
            if let Some(n) = self.numbers.get(id) {
                self.alive.remove(*n);
            }
        }
        for record in records {
            match self.numbers.get(&record.id).copied() {
                Some(n) => self.set(n, &record),
                None => {
                    self.push(record);
                }
            }
        }
        self.generation += 1;
    }

    fn bitmaps_mut(&mut self) -> impl Iterator<Item = &mut RoaringBitmap> {
        [
            &mut self.female,
            &mut self.male,
            &mut self.online,
            &mut self.box_office,
            &mut self.subscriber,
        ]
        .into_iter()
        .chain(self.tags.values_mut())
        .chain(self.permissions.values_mut())
        .chain(self.holders.iter_mut())
    }

    fn clear_columns(&mut self, n: u32) {
        let i = n as usize;
        let clear = |v: &mut Vec<u16>, value| {
            if let Some(slot) = v.get_mut(i) {
                *slot = value;
            }
        };
        clear(&mut self.birth, NO_BIRTH);
        clear(&mut self.last_purchase, NO_PURCHASE);
        self.tickets.set(n, 0);
        self.events.set(n, 0);
        self.orders.set(n, 0);
        self.revenue.set(n, 0);
        if let Some(slot) = self.impulse.get_mut(i) {
            *slot = NO_IMPULSE;
        }
        self.set_coordinates(n, (f64::NAN, f64::NAN));
    }

    /// Sets a customer's coordinates and their distance codes.
    fn set_coordinates(&mut self, n: u32, coordinates: (f64, f64)) {
        let i = n as usize;
        if let Some(slot) = self.coordinates.get_mut(i) {
            *slot = coordinates;
        }
        for column in self.venue_distances.values_mut() {
            if let Some(slot) = column.codes.get_mut(i) {
                *slot = Around::new(column.at).code(coordinates);
            }
        }
    }

    /// Writes a record at number `n` (its columns exist; its bitmaps hold nothing of it).
    fn set(&mut self, n: u32, record: &CustomerRecord) {
        let i = n as usize;
        self.alive.insert(n);
        let sales = &record.sales;
        if let Some(slot) = self.birth.get_mut(i) {
            *slot = encode_birth(record.birth_date);
        }
        self.tickets.set(n, sales.tickets);
        self.events.set(n, sales.events);
        self.orders.set(n, sales.orders);
        // Prices are never negative, so neither is their sum; were one, it counts as none.
        self.revenue
            .set(n, u64::try_from(sales.revenue_minor).unwrap_or(0));
        if let Some(slot) = self.last_purchase.get_mut(i) {
            *slot = encode_purchase(sales.last_day);
        }
        if let Some(slot) = self.impulse.get_mut(i) {
            *slot = encode_impulse(sales.impulse_days);
        }
        if let Some(coordinates) = record.coordinates {
            self.set_coordinates(n, coordinates);
        }
        match record.gender {
            Some(InferredGender::Female) => {
                self.female.insert(n);
            }
            Some(InferredGender::Male) => {
                self.male.insert(n);
            }
            None => {}
        }
        if sales.online {
            self.online.insert(n);
        }
        if sales.box_office {
            self.box_office.insert(n);
        }
        if record.subscriber {
            self.subscriber.insert(n);
        }
        for tag in &record.tags {
            self.tags.entry(tag.clone()).or_default().insert(n);
        }
        for permission in &record.permissions {
            self.permissions
                .entry(permission.clone())
                .or_default()
                .insert(n);
        }
        for &tt in &record.holdings {
            let tt = tt as usize;
            if self.holders.len() <= tt {
                self.holders.resize_with(tt + 1, RoaringBitmap::new);
            }
            if let Some(holders) = self.holders.get_mut(tt) {
                holders.insert(n);
            }
        }
    }

    /// Holders of every ticket type `pick` selects.
    fn holders_where(&self, pick: impl Fn(&TicketTypeEntry, &EventEntry) -> bool) -> RoaringBitmap {
        self.catalog
            .ticket_types
            .iter()
            .enumerate()
            .filter(|(_, tt)| self.catalog.event_of(tt).is_some_and(|e| pick(tt, e)))
            .filter_map(|(n, _)| self.holders.get(n))
            .union()
    }

    /// The segment's customers today after "view for": holders in the window, less the
    /// excluded holders, less the holders of the production or event viewed for. Cached per
    /// definition, "view for" and day until the index changes, since a dashboard asks for the
    /// same segment with every filter change.
    fn segment_base(&self, query: &SegmentQuery) -> Result<Arc<CachedBase>> {
        let key = format!(
            "{}|{}|{}|{}",
            query.today,
            query.zone,
            serde_json::to_string(&query.definition).unwrap_or_default(),
            serde_json::to_string(&query.view_for).unwrap_or_default()
        );
        if let Ok(mut cache) = self.base_cache.lock() {
            if let Some(at) = cache
                .iter()
                .position(|c| c.key == key && c.generation == self.generation)
            {
                let hit = cache.remove(at);
                cache.insert(0, hit.clone());
                return Ok(hit);
            }
        }
        let mut bitmap = self.compute_base(&query.definition, query.today, query.zone);
        self.apply_view_for(&mut bitmap, &query.view_for);
        let cached = Arc::new(CachedBase {
            key,
            generation: self.generation,
            base: Base::new(bitmap, self.ids.len()),
        });
        if let Ok(mut cache) = self.base_cache.lock() {
            let generation = self.generation;
            cache.retain(|c| c.generation == generation);
            cache.insert(0, cached.clone());
            cache.truncate(BASE_CACHE_SIZE);
        }
        Ok(cached)
    }

    fn compute_base(
        &self,
        definition: &SegmentDefinition,
        today: NaiveDate,
        zone: Tz,
    ) -> RoaringBitmap {
        let start: DateTime<Utc> = definition.window_start(today, zone);
        let filter = &definition.event_filter;
        let mut base = self.holders_where(|tt, event| {
            event.facts.starts_at >= start
                && filter.matches(&event.facts, tt.category.as_deref(), zone)
        });
        if let Some(excluded) = definition.effective_exclusion() {
            base -= self.holders_where(|tt, event| {
                excluded.matches(&event.facts, tt.category.as_deref(), zone)
            });
        }
        base &= &self.alive;
        base
    }

    /// Counts `query`: the segment, each filter within it, their intersection, and the numbers of
    /// the first matching customers.
    pub fn answer(&self, query: &SegmentQuery) -> Result<(SegmentCounts, Vec<u32>)> {
        let started = Instant::now();
        let cached = self.segment_base(query)?;
        let base = &cached.base;
        let context = filters::Context {
            index: self,
            today: query.today,
        };
        let compiled: Vec<filters::Compiled<'_>> = query
            .filters
            .iter()
            .map(|f| filters::compile(f, &context))
            .collect();
        let counted = eval::count(base, &compiled, self.ids.len());
        let counts = query
            .filters
            .iter()
            .zip(counted.filters)
            .map(|(f, count)| FilterCount {
                kind: f.kind().to_string(),
                count,
            })
            .collect();
        Ok((
            SegmentCounts {
                segment: base.bitmap.len(),
                total: counted.total,
                filters: counts,
                customers: Vec::new(),
                micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            },
            counted.first,
        ))
    }

    /// The ULIDs of every customer `query` matches, ascending: the customers an action (an
    /// export, a push, a tag, a send) is for. Sixteen bytes per customer, whatever the file.
    pub fn members(&self, query: &SegmentQuery) -> Result<Vec<u128>> {
        let cached = self.segment_base(query)?;
        let context = filters::Context {
            index: self,
            today: query.today,
        };
        let compiled: Vec<filters::Compiled<'_>> = query
            .filters
            .iter()
            .map(|f| filters::compile(f, &context))
            .collect();
        let matched = eval::members(&cached.base, &compiled);
        let mut ids: Vec<u128> = matched
            .iter()
            .filter_map(|n| self.ids.get(n as usize).copied())
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Every tag a current customer has, by name, with how many of `members` (ULIDs, as
    /// [`OrgIndex::members`] gives them) have it and how many have it in all: the bulk tag's
    /// table. Read from the tag bitmaps, so it costs a few intersections, not a query.
    pub fn tag_counts(&self, members: &[u128]) -> Vec<(String, u64, u64)> {
        let chosen: RoaringBitmap = members
            .iter()
            .filter_map(|id| self.numbers.get(id).copied())
            .collect();
        let mut counts: Vec<(String, u64, u64)> = self
            .tags
            .iter()
            .map(|(tag, holders)| {
                let all = holders.intersection_len(&self.alive);
                (tag.clone(), holders.intersection_len(&chosen), all)
            })
            .filter(|(_, _, all)| *all > 0)
            .collect();
        counts.sort_by(|a, b| a.0.cmp(&b.0));
        counts
    }

    /// The tags current customers hold, by name: what the dashboard's tag filter chooses from
    /// (a tag nobody holds any more, its last holder erased, is no choice).
    pub fn tag_names(&self) -> Vec<String> {
        held_names(&self.tags, &self.alive)
    }

    /// The permissions current customers have granted, by name: what the dashboard's
    /// permission filter chooses from.
    pub fn permission_names(&self) -> Vec<String> {
        held_names(&self.permissions, &self.alive)
    }

    /// Forgets every cached segment (the bench's cold runs).
    pub fn clear_caches(&self) {
        if let Ok(mut cache) = self.base_cache.lock() {
            cache.clear();
        }
    }

    /// Compacts the bitmaps (run containers where they are smaller) and gives the venues their
    /// distance columns; after a bulk build.
    pub fn optimize(&mut self) {
        for bitmap in self.bitmaps_mut() {
            bitmap.optimize();
        }
        self.alive.optimize();
        self.sync_venues();
    }

    /// "View for production / event": leaves out the holders of any ticket of it.
    fn apply_view_for(&self, base: &mut RoaringBitmap, view_for: &ViewFor) {
        // A production without events has no holders to leave out: the segment stays as it is
        // (the service has checked that the production exists).
        if let Some(production) = &view_for.production_id {
            *base -= self.holders_where(|_, e| e.facts.production_id == production.as_str());
        }
        // An event the catalog does not hold yet (created since it was read) has no holders.
        if let Some(event) = &view_for.event_id {
            *base -= self.holders_where(|_, e| e.facts.id == event.as_str());
        }
    }

    /// Bytes the index would take serialized: bitmaps plus columns (ids included); the id
    /// lookup table and the catalog are left out.
    pub fn serialized_size(&self) -> usize {
        let bitmaps: usize = [
            &self.alive,
            &self.female,
            &self.male,
            &self.online,
            &self.box_office,
            &self.subscriber,
        ]
        .into_iter()
        .chain(self.tags.values())
        .chain(self.permissions.values())
        .chain(self.holders.iter())
        .map(RoaringBitmap::serialized_size)
        .sum();
        let n = self.ids.len();
        let columns = n
            * (std::mem::size_of::<u128>()
                + 2 * 2 // birth, last purchase
                + 2 // impulse
                + 8); // coordinates
        let counts =
            self.tickets.size() + self.events.size() + self.orders.size() + self.revenue.size();
        let distances: usize = self
            .venue_distances
            .values()
            .map(|v| std::mem::size_of_val(v.codes.as_slice()))
            .sum();
        bitmaps + columns + counts + distances
    }
}

/// The names of `bitmaps` held by at least one of `alive`, sorted.
fn held_names(bitmaps: &HashMap<String, RoaringBitmap>, alive: &RoaringBitmap) -> Vec<String> {
    let mut names: Vec<String> = bitmaps
        .iter()
        .filter(|(_, holders)| !holders.is_disjoint(alive))
        .map(|(name, _)| name.clone())
        .collect();
    names.sort();
    names
}
