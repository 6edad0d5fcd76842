//! The segment index of one organization (DESIGN §2.3): customers get dense `u32` numbers;
//! categorical facts are roaring bitmaps over those numbers, numeric facts are compact columns
//! scanned within the segment. A count is a handful of bitmap operations and scans, never SQL.
//!
//! The index is built from the database ([`build`]) and kept fresh by replacing the rows of
//! customers that domain events name ([`OrgIndex::replace`]); the [`Registry`] holds one per
//! organization.

pub mod build;
pub mod filters;
pub mod registry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use fullhouse_core::{Error, Result};
use fullhouse_ticketing::service::facts::CatalogFacts;
use roaring::{MultiOps, RoaringBitmap};

use crate::model::{self, *};

pub use registry::Registry;

/// What one customer contributes to the index, already aggregated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerRecord {
    /// The ULID of the customer id.
    pub id: u128,
    pub gender: Option<InferredGender>,
    pub birth_date: Option<NaiveDate>,
    pub subscriber: bool,
    pub coordinates: Option<(f32, f32)>,
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
#[derive(Debug, Clone, Default)]
pub struct Catalog {
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

fn decode_birth(value: u16) -> Option<i32> {
    (value != NO_BIRTH).then(|| i32::from(value) - 1 + BIRTH_EPOCH)
}

fn encode_purchase(day: Option<i32>) -> u16 {
    match day {
        None => NO_PURCHASE,
        Some(day) => (day + 1).clamp(1, 65_535) as u16,
    }
}

fn decode_purchase(value: u16) -> Option<i32> {
    (value != NO_PURCHASE).then(|| i32::from(value) - 1)
}

fn encode_impulse(days: Option<i32>) -> i16 {
    match days {
        None => NO_IMPULSE,
        Some(days) => days.clamp(-32_767, 32_766) as i16,
    }
}

fn saturate16(value: u32) -> u16 {
    u16::try_from(value).unwrap_or(u16::MAX)
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
    tickets: Vec<u16>,
    events: Vec<u16>,
    orders: Vec<u16>,
    revenue: Vec<u32>,
    last_purchase: Vec<u16>,
    impulse: Vec<i16>,
    /// Latitude and longitude; NaN when unknown.
    coordinates: Vec<(f32, f32)>,
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
    base_cache: Mutex<Option<CachedBase>>,
    /// Each filter's customers (over every customer, not one segment), by filter and day, until
    /// the index changes: moving one slider recomputes one filter, not ten.
    filter_cache: Mutex<HashMap<String, (u64, Arc<RoaringBitmap>)>>,
}

/// Filters kept per index; a dashboard session uses a dozen at a time.
const FILTER_CACHE_SIZE: usize = 256;

struct CachedBase {
    key: String,
    generation: u64,
    base: Arc<RoaringBitmap>,
}

/// A count request, resolved.
#[derive(Debug, Clone)]
pub struct SegmentQuery {
    pub definition: SegmentDefinition,
    pub view_for: ViewFor,
    pub filters: Vec<Filter>,
    pub today: NaiveDate,
}

impl OrgIndex {
    pub fn new(catalog: Catalog) -> Self {
        Self {
            catalog,
            ..Default::default()
        }
    }

    /// How many customers the index holds.
    pub fn len(&self) -> u64 {
        self.alive.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alive.is_empty()
    }

    /// Takes a catalog read again (numbers kept), and forgets cached segment bases.
    pub fn set_catalog(&mut self, catalog: Catalog) {
        self.catalog = catalog;
        self.generation += 1;
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
        self.tickets.push(0);
        self.events.push(0);
        self.orders.push(0);
        self.revenue.push(0);
        self.last_purchase.push(NO_PURCHASE);
        self.impulse.push(NO_IMPULSE);
        self.coordinates.push((f32::NAN, f32::NAN));
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
        clear(&mut self.tickets, 0);
        clear(&mut self.events, 0);
        clear(&mut self.orders, 0);
        clear(&mut self.last_purchase, NO_PURCHASE);
        if let Some(slot) = self.revenue.get_mut(i) {
            *slot = 0;
        }
        if let Some(slot) = self.impulse.get_mut(i) {
            *slot = NO_IMPULSE;
        }
        if let Some(slot) = self.coordinates.get_mut(i) {
            *slot = (f32::NAN, f32::NAN);
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
        if let Some(slot) = self.tickets.get_mut(i) {
            *slot = saturate16(sales.tickets);
        }
        if let Some(slot) = self.events.get_mut(i) {
            *slot = saturate16(sales.events);
        }
        if let Some(slot) = self.orders.get_mut(i) {
            *slot = saturate16(sales.orders);
        }
        if let Some(slot) = self.revenue.get_mut(i) {
            *slot = u32::try_from(sales.revenue_minor.max(0)).unwrap_or(u32::MAX);
        }
        if let Some(slot) = self.last_purchase.get_mut(i) {
            *slot = encode_purchase(sales.last_day);
        }
        if let Some(slot) = self.impulse.get_mut(i) {
            *slot = encode_impulse(sales.impulse_days);
        }
        if let (Some(coordinates), Some(slot)) = (record.coordinates, self.coordinates.get_mut(i)) {
            *slot = coordinates;
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

    /// The segment's customers today: holders in the window, less the excluded holders.
    /// Cached per definition and day until the index changes, since a dashboard session asks
    /// for the same segment with every filter change.
    pub fn segment_base(
        &self,
        definition: &SegmentDefinition,
        today: NaiveDate,
    ) -> Arc<RoaringBitmap> {
        let key = format!(
            "{today}|{}",
            serde_json::to_string(definition).unwrap_or_default()
        );
        if let Ok(cache) = self.base_cache.lock() {
            if let Some(cached) = cache.as_ref() {
                if cached.key == key && cached.generation == self.generation {
                    return cached.base.clone();
                }
            }
        }
        let base = Arc::new(self.compute_base(definition, today));
        if let Ok(mut cache) = self.base_cache.lock() {
            *cache = Some(CachedBase {
                key,
                generation: self.generation,
                base: base.clone(),
            });
        }
        base
    }

    fn compute_base(&self, definition: &SegmentDefinition, today: NaiveDate) -> RoaringBitmap {
        let start: DateTime<Utc> = definition.window_start(today);
        let filter = &definition.event_filter;
        let mut base = self.holders_where(|tt, event| {
            event.facts.starts_at >= start && filter.matches(&event.facts, tt.category.as_deref())
        });
        if let Some(excluded) = definition.effective_exclusion() {
            base -= self
                .holders_where(|tt, event| excluded.matches(&event.facts, tt.category.as_deref()));
        }
        base &= &self.alive;
        base
    }

    /// Counts `query`: the segment, each filter within it, their intersection, and the numbers of
    /// the first matching customers.
    pub fn answer(&self, query: &SegmentQuery) -> Result<(SegmentCounts, Vec<u32>)> {
        let started = Instant::now();
        let base = self.segment_base(&query.definition, query.today);
        let base = self.apply_view_for(&base, &query.view_for)?;
        let matched: Vec<RoaringBitmap> = query
            .filters
            .iter()
            .map(|f| &base & &*self.filter_bitmap(f, query.today))
            .collect();
        let counts = query
            .filters
            .iter()
            .zip(&matched)
            .map(|(f, m)| FilterCount {
                kind: f.kind().to_string(),
                count: m.len(),
            })
            .collect();
        let total = intersect_cheapest_first(&base, &matched);
        let first = total.iter().take(FIRST_CUSTOMERS).collect();
        Ok((
            SegmentCounts {
                segment: base.len(),
                total: total.len(),
                filters: counts,
                customers: Vec::new(),
                micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            },
            first,
        ))
    }

    /// The customers `filter` lets through today, from the cache when the index has not changed.
    pub fn filter_bitmap(&self, filter: &Filter, today: NaiveDate) -> Arc<RoaringBitmap> {
        let key = format!(
            "{today}|{}",
            serde_json::to_string(filter).unwrap_or_default()
        );
        if let Ok(cache) = self.filter_cache.lock() {
            if let Some((generation, bitmap)) = cache.get(&key) {
                if *generation == self.generation {
                    return bitmap.clone();
                }
            }
        }
        let context = filters::Context { index: self, today };
        let bitmap = Arc::new(filters::matches(filter, &context, &self.alive));
        if let Ok(mut cache) = self.filter_cache.lock() {
            if cache.len() >= FILTER_CACHE_SIZE {
                let generation = self.generation;
                cache.retain(|_, (g, _)| *g == generation);
                if cache.len() >= FILTER_CACHE_SIZE {
                    cache.clear();
                }
            }
            cache.insert(key, (self.generation, bitmap.clone()));
        }
        bitmap
    }

    /// Forgets every cached filter and segment (the bench's cold runs).
    pub fn clear_caches(&self) {
        if let Ok(mut cache) = self.filter_cache.lock() {
            cache.clear();
        }
        if let Ok(mut cache) = self.base_cache.lock() {
            *cache = None;
        }
    }

    /// Compacts the bitmaps (run containers where they are smaller); after a bulk build.
    pub fn optimize(&mut self) {
        for bitmap in self.bitmaps_mut() {
            bitmap.optimize();
        }
        self.alive.optimize();
    }

    /// "View for production / event": leaves out the holders of any ticket of it.
    fn apply_view_for(
        &self,
        base: &Arc<RoaringBitmap>,
        view_for: &ViewFor,
    ) -> Result<RoaringBitmap> {
        let mut base = RoaringBitmap::clone(base);
        if let Some(production) = &view_for.production_id {
            if !self
                .catalog
                .events
                .iter()
                .any(|e| e.facts.production_id == production.as_str())
            {
                return Err(Error::invalid(
                    "production_id",
                    "no event of this production is known",
                ));
            }
            base -= self.holders_where(|_, e| e.facts.production_id == production.as_str());
        }
        if let Some(event) = &view_for.event_id {
            if !self.catalog.event_numbers.contains_key(event.as_str()) {
                return Err(Error::invalid("event_id", "no such event"));
            }
            base -= self.holders_where(|_, e| e.facts.id == event.as_str());
        }
        Ok(base)
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
                + 2 * 5 // birth, tickets, events, orders, last purchase
                + 4 // revenue
                + 2 // impulse
                + 8); // coordinates
        bitmaps + columns
    }
}

/// The customers in `base` that every filter lets through, smallest bitmap first; stops as soon
/// as nothing is left.
fn intersect_cheapest_first(base: &RoaringBitmap, matched: &[RoaringBitmap]) -> RoaringBitmap {
    let mut order: Vec<&RoaringBitmap> = matched.iter().collect();
    order.sort_by_key(|m| m.len());
    let mut result = match order.first() {
        Some(first) => (*first).clone(),
        None => return base.clone(),
    };
    for bitmap in order.iter().skip(1) {
        if result.is_empty() {
            break;
        }
        result &= *bitmap;
    }
    result
}
