//! `fullhouse bench intent-import`: rows per second of an intents import, on SQLite and
//! PostgreSQL, beside a raw load of the same bookings through checkout's grouped placement in
//! the same run (the reference: what booking costs without the import around it).
//!
//! The stage and the file are also the integration tests' (`tests/import.rs`): a venue of
//! seats and two general-admission areas, an event sold through a secret shop, and a file of
//! seated and standing rows with bad rows of every kind the import refuses, each with the
//! reason it must be refused for and a corrected line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Duration, Utc};
use fullhouse_checkout::model::Cart;
use fullhouse_checkout::{Checkout, PlaceOrder};
use fullhouse_core::import::{self as wizard, Imported, ReadChoices, Refused};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Backend, Db, OrgId};
use fullhouse_ticketing::model::catalog::{
    NewEvent, NewProduction, NewShop, NewTicketType, ShopKind,
};
use fullhouse_ticketing::model::customers::NewCustomer;
use fullhouse_ticketing::model::orders::{Channel, SeatNames};
use fullhouse_ticketing::model::venues::{
    GaAreaInput, NewVenue, SeatGroupInput, SeatInput, SeatMapInput, SeatRowInput, SectionInput,
};
use fullhouse_ticketing::service::{CatalogService, CustomerService, VenueService};
use fullhouse_ticketing::{CustomerId, EventId, ShopId, TicketTypeId};
use sea_orm::ConnectionTrait;

use crate::import::{Booked, ImportOptions, IntentImport};
use crate::model::*;
use crate::Intents;

pub type BenchResult<T> = Result<T, String>;

/// Every migration an intents database needs: core's, ticketing's, checkout's and its own.
pub fn all_migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    fullhouse_core::module::migrations_with_core(&[
        &fullhouse_ticketing::Ticketing,
        &fullhouse_checkout::CheckoutModule::new(),
        &crate::IntentsModule::new(fullhouse_checkout::CheckoutModule::new()),
    ])
}

fn fail(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

/// Seats per row of the stage's venue.
const SEATS_PER_ROW: usize = 100;
/// The seated section and block.
pub const SECTION: &str = "Parterre";
pub const BLOCK: &str = "A";
/// The header of the generated files.
pub const HEADER: &str =
    "customerId,eventId,shopId,ticketTypeId,gaName,sectionName,groupName,rowName,seatName";

/// How a generated file is made: good rows of each kind, bad rows, customers.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub seated: usize,
    pub floor: usize,
    pub limited: usize,
    pub bad: usize,
    pub customers: usize,
}

impl Layout {
    /// About `rows` rows: 60 % seated, 30 % standing on the floor, 10 % of a limited type,
    /// `bad_percent` of them bad.
    pub fn mixed(rows: usize, bad_percent: usize) -> Layout {
        let bad = rows * bad_percent / 100;
        let good = rows - bad;
        let seated = good * 6 / 10;
        let floor = good * 3 / 10;
        Layout {
            seated,
            floor,
            limited: good - seated - floor,
            bad,
            customers: (rows / 20).clamp(10, 5_000),
        }
    }

    pub fn good(&self) -> usize {
        self.seated + self.floor + self.limited
    }

    fn bad_of(&self, kind: BadKind) -> usize {
        (0..self.bad)
            .filter(|i| BAD_KINDS.get(i % BAD_KINDS.len()) == Some(&kind))
            .count()
    }

    /// Seats: the good rows', one per bad row (its correction), then the ones sold before.
    fn seats(&self) -> usize {
        self.seated + self.bad + self.bad_of(BadKind::Taken)
    }
}

/// Every kind of bad row the import refuses, in the order bad rows cycle through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadKind {
    Empty,
    NoEvent,
    NoCustomer,
    NoTicketType,
    NoShop,
    OtherEvent,
    NoSeat,
    Taken,
    Twice,
    AreaFull,
    TypeFull,
}

pub const BAD_KINDS: [BadKind; 11] = [
    BadKind::Empty,
    BadKind::NoEvent,
    BadKind::NoCustomer,
    BadKind::NoTicketType,
    BadKind::NoShop,
    BadKind::OtherEvent,
    BadKind::NoSeat,
    BadKind::Taken,
    BadKind::Twice,
    BadKind::AreaFull,
    BadKind::TypeFull,
];

/// One line of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub customer: String,
    pub event: String,
    pub shop: String,
    pub ticket_type: String,
    pub ga: String,
    pub seat: Option<(String, String)>,
}

impl Line {
    pub fn cells(&self) -> Vec<String> {
        let (row, seat) = self.seat.clone().unwrap_or_default();
        let (section, block) = match self.seat {
            Some(_) => (SECTION.to_string(), BLOCK.to_string()),
            None => (String::new(), String::new()),
        };
        vec![
            self.customer.clone(),
            self.event.clone(),
            self.shop.clone(),
            self.ticket_type.clone(),
            self.ga.clone(),
            section,
            block,
            row,
            seat,
        ]
    }

    pub fn csv(&self) -> String {
        self.cells().join(",")
    }
}

/// A bad row of a generated file: where it is, why it must be refused, and its correction.
#[derive(Debug, Clone)]
pub struct BadRow {
    pub row: u64,
    pub kind: BadKind,
    pub reason: String,
    pub corrected: Line,
}

/// A generated file.
#[derive(Debug, Clone)]
pub struct File {
    pub csv: String,
    pub rows: usize,
    pub bad: Vec<BadRow>,
}

/// A venue, an event sold through a secret shop, another event, customers, and seats sold
/// before the import.
pub struct Stage {
    pub db: Db,
    pub org: OrgId,
    pub intents: Intents,
    pub layout: Layout,
    pub event: EventId,
    pub other_event: EventId,
    pub shop: ShopId,
    pub seat_type: TicketTypeId,
    pub floor_type: TicketTypeId,
    pub limited_type: TicketTypeId,
    pub other_type: TicketTypeId,
    pub customers: Vec<CustomerId>,
}

/// The `n`th seat of the venue: (row, seat). Seats are numbered through the venue, not per
/// row: checkout reads the seats a group of orders names by their labels, and labels repeated
/// on every row of a large venue would make each group read most of it.
fn seat_at(n: usize) -> (String, String) {
    ((n / SEATS_PER_ROW + 1).to_string(), (n + 1).to_string())
}

/// Builds the stage for `layout` in a new organization of `db` (migrated).
pub async fn stage(db: &Db, layout: Layout, slug: &str) -> BenchResult<Stage> {
    let org = TenancyService::new(db.clone())
        .create_organization(NewOrganization {
            name: "Intents bench".into(),
            slug: slug.into(),
            default_language: "en".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .map_err(fail)?
        .id;
    let venues = VenueService::new(db.clone());
    let venue = venues
        .create_venue(
            &org,
            NewVenue {
                name: "Grand".into(),
                address_line: None,
                postal_code: None,
                city: None,
                country: None,
                latitude: None,
                longitude: None,
                timezone: None,
            },
        )
        .await
        .map_err(fail)?;
    let rows = layout.seats().div_ceil(SEATS_PER_ROW).max(1);
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let map = venues
        .replace_seat_map(
            &org,
            &venue.id,
            SeatMapInput {
                sections: vec![SectionInput {
                    name: SECTION.into(),
                    groups: vec![SeatGroupInput {
                        name: BLOCK.into(),
                        rows: (1..=rows)
                            .map(|row| SeatRowInput {
                                name: row.to_string(),
                                seats: ((row - 1) * SEATS_PER_ROW + 1..=row * SEATS_PER_ROW)
                                    .map(|seat| SeatInput {
                                        id: None,
                                        label: seat.to_string(),
                                        category: None,
                                    })
                                    .collect(),
                            })
                            .collect(),
                    }],
                }],
                ga_areas: vec![
                    GaAreaInput {
                        id: None,
                        name: "Floor".into(),
                        capacity: as_i64(layout.floor),
                        category: None,
                    },
                    GaAreaInput {
                        id: None,
                        name: "Terrace".into(),
                        capacity: as_i64(layout.limited * 2 + 10),
                        category: None,
                    },
                ],
                seat_count: None,
            },
        )
        .await
        .map_err(fail)?;
    let area = |name: &str| {
        map.ga_areas
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.id.clone())
            .ok_or_else(|| format!("no area {name}"))
    };
    let (floor, terrace) = (area("Floor")?, area("Terrace")?);
    let catalog = CatalogService::new(db.clone());
    let production = catalog
        .create_production(
            &org,
            NewProduction {
                name: "Le Misanthrope".into(),
                description: None,
                genre: None,
            },
        )
        .await
        .map_err(fail)?;
    let shop = catalog
        .create_shop(
            &org,
            NewShop {
                name: "Abonnés".into(),
                kind: ShopKind::Secret,
                open: true,
            },
        )
        .await
        .map_err(fail)?
        .id;
    let mut events = Vec::new();
    for day in [40, 41] {
        let event = catalog
            .create_event(
                &org,
                NewEvent {
                    production_id: production.id.clone(),
                    venue_id: venue.id.clone(),
                    name: None,
                    starts_at: Utc::now() + Duration::days(day),
                    ends_at: None,
                    status: None,
                    sales_start: None,
                    sales_end: None,
                },
            )
            .await
            .map_err(fail)?;
        events.push(event.id);
    }
    let (event, other_event) = match events.as_slice() {
        [a, b] => (a.clone(), b.clone()),
        _ => return Err("two events".into()),
    };
    let ticket_type = |event: EventId, name: &str, area, capacity| {
        let catalog = catalog.clone();
        let (org, shop, name) = (org.clone(), shop.clone(), name.to_string());
        async move {
            catalog
                .create_ticket_type(
                    &org,
                    &event,
                    NewTicketType {
                        name,
                        category: None,
                        price_minor: 25_000,
                        currency: None,
                        capacity,
                        hidden: false,
                        shop_id: Some(shop),
                        ga_area_id: area,
                        sales_start: None,
                        sales_end: None,
                    },
                )
                .await
                .map(|t| t.id)
                .map_err(fail)
        }
    };
    let seat_type = ticket_type(event.clone(), "Parterre", None, None).await?;
    let floor_type = ticket_type(event.clone(), "Parterre debout", Some(floor), None).await?;
    let limited = Some(as_i64(layout.limited));
    let limited_type = ticket_type(event.clone(), "Terrasse", Some(terrace), limited).await?;
    let other_type = ticket_type(other_event.clone(), "Autre soir", None, None).await?;
    let customers = CustomerService::new(db.clone());
    let mut ids = Vec::with_capacity(layout.customers);
    for n in 0..layout.customers {
        let new = NewCustomer {
            email: Some(format!("abonne{n}@example.fr")),
            first_name: Some(format!("Abonné {n}")),
            ..NewCustomer::default()
        };
        ids.push(customers.create(&org, new).await.map_err(fail)?.id);
    }
    let intents = Intents::new(db.clone(), Checkout::new(db.clone()), "http://localhost");
    let stage = Stage {
        db: db.clone(),
        org,
        intents,
        layout,
        event,
        other_event,
        shop,
        seat_type,
        floor_type,
        limited_type,
        other_type,
        customers: ids,
    };
    stage.sell_taken_seats().await?;
    Ok(stage)
}

impl Stage {
    /// The seats the `Taken` bad rows name, sold before the import (as intents made one by one).
    async fn sell_taken_seats(&self) -> BenchResult<()> {
        let first = self.layout.seated + self.layout.bad;
        let taken: Vec<usize> = (first..first + self.layout.bad_of(BadKind::Taken)).collect();
        let customer = self.customers.first().cloned().ok_or("no customer")?;
        for part in taken.chunks(MAX_TICKETS_PER_INTENT.max(1)) {
            let seats = part
                .iter()
                .map(|n| {
                    let (row, seat) = seat_at(*n);
                    SeatNames {
                        section_name: SECTION.into(),
                        group_name: BLOCK.into(),
                        row_name: row,
                        seat_label: seat,
                    }
                })
                .collect();
            let new = NewIntent {
                customer_id: customer.clone(),
                event_id: self.event.clone(),
                shop_id: Some(self.shop.clone()),
                items: vec![IntentItem {
                    ticket_type_id: self.seat_type.clone(),
                    quantity: None,
                    seat_ids: Vec::new(),
                    seats,
                    ga_name: None,
                }],
                coupon: None,
                company: None,
                delivery: Delivery::Virtual,
                strategy: StrategyChoice::default(),
                send_mail: false,
                import_id: None,
                created_by: "bench".into(),
            };
            self.intents.create(&self.org, new).await.map_err(fail)?;
        }
        Ok(())
    }

    fn line(&self, customer: usize, ticket_type: &TicketTypeId, ga: &str) -> Line {
        Line {
            customer: self
                .customers
                .get(customer % self.customers.len().max(1))
                .map(ToString::to_string)
                .unwrap_or_default(),
            event: self.event.to_string(),
            shop: self.shop.to_string(),
            ticket_type: ticket_type.to_string(),
            ga: ga.to_string(),
            seat: None,
        }
    }

    /// A seated line: the `seat`th seat of the venue for the `customer`th customer.
    pub fn seated(&self, customer: usize, seat: usize) -> Line {
        Line {
            seat: Some(seat_at(seat)),
            ..self.line(customer, &self.seat_type, "")
        }
    }

    /// The file of the stage's layout: good rows mixed (seated, floor, limited in turn), bad
    /// rows spread through it — but the ones refused for capacity, which come last, once the
    /// good rows have taken every place.
    pub fn file(&self) -> File {
        let l = self.layout;
        let mut good = Vec::with_capacity(l.good());
        let (mut s, mut f, mut t) = (0, 0, 0);
        while good.len() < l.good() {
            for turn in 0..10 {
                let customer = good.len();
                if turn < 6 && s < l.seated {
                    good.push(self.seated(customer, s));
                    s += 1;
                } else if turn < 9 && f < l.floor {
                    good.push(self.line(customer, &self.floor_type, "Floor"));
                    f += 1;
                } else if t < l.limited {
                    good.push(self.line(customer, &self.limited_type, "Terrace"));
                    t += 1;
                } else if s < l.seated {
                    good.push(self.seated(customer, s));
                    s += 1;
                } else if f < l.floor {
                    good.push(self.line(customer, &self.floor_type, "Floor"));
                    f += 1;
                }
            }
        }
        let taken_first = l.seated + l.bad;
        let (mut taken, mut twice) = (0, 0);
        let mut spread = Vec::new();
        let mut last = Vec::new();
        for i in 0..l.bad {
            let kind = BAD_KINDS[i % BAD_KINDS.len()];
            let corrected = self.seated(i + 7, l.seated + i);
            let mut line = corrected.clone();
            let reason = match kind {
                BadKind::Empty => {
                    line.customer = String::new();
                    "customerId cannot be empty".to_string()
                }
                BadKind::NoEvent => {
                    line.event = EventId::generate().to_string();
                    "eventId not found".into()
                }
                BadKind::NoCustomer => {
                    line.customer = CustomerId::generate().to_string();
                    "customerId not found".into()
                }
                BadKind::NoTicketType => {
                    line.ticket_type = TicketTypeId::generate().to_string();
                    "ticketTypeId not found".into()
                }
                BadKind::NoShop => {
                    line.shop = ShopId::generate().to_string();
                    "shopId not found".into()
                }
                BadKind::OtherEvent => {
                    line.ticket_type = self.other_type.to_string();
                    "ticketTypeId belongs to another event than eventId".into()
                }
                BadKind::NoSeat => {
                    line.seat = Some(("999".into(), (i + 1).to_string()));
                    format!("seat not found: {SECTION}/{BLOCK}/999/{}", i + 1)
                }
                BadKind::Taken => {
                    line.seat = Some(seat_at(taken_first + taken));
                    taken += 1;
                    "Cannot reserve seat".into()
                }
                BadKind::Twice => {
                    line.seat = Some(seat_at(twice % l.seated.max(1)));
                    twice += 1;
                    "seat named twice in the file".into()
                }
                BadKind::AreaFull => {
                    line = self.line(i, &self.floor_type, "Floor");
                    "sold out: the general-admission area has no place left".into()
                }
                BadKind::TypeFull => {
                    line = self.line(i, &self.limited_type, "Terrace");
                    "sold out: the ticket type has no place left".into()
                }
            };
            let bad = (line, kind, reason, corrected);
            if matches!(kind, BadKind::AreaFull | BadKind::TypeFull) {
                last.push(bad);
            } else {
                spread.push(bad);
            }
        }
        let every = (good.len() / (spread.len() + 1)).max(1);
        let mut lines = Vec::with_capacity(good.len() + l.bad);
        let mut bad = Vec::with_capacity(l.bad);
        let mut spread = spread.into_iter();
        for (n, line) in good.into_iter().enumerate() {
            lines.push(line);
            if (n + 1) % every == 0 {
                if let Some((line, kind, reason, corrected)) = spread.next() {
                    bad.push(BadRow {
                        row: lines.len() as u64 + 2,
                        kind,
                        reason,
                        corrected,
                    });
                    lines.push(line);
                }
            }
        }
        for (line, kind, reason, corrected) in spread.chain(last) {
            bad.push(BadRow {
                row: lines.len() as u64 + 2,
                kind,
                reason,
                corrected,
            });
            lines.push(line);
        }
        let mut csv = String::with_capacity(lines.len() * 120);
        csv.push_str(HEADER);
        csv.push('\n');
        for line in &lines {
            csv.push_str(&line.csv());
            csv.push('\n');
        }
        File {
            csv,
            rows: lines.len(),
            bad,
        }
    }

    /// Imports `csv` (written to a file in `dir`) with `options`.
    pub async fn import(
        &self,
        dir: &Path,
        csv: &str,
        options: ImportOptions,
    ) -> Result<Imported<Booked>, Refused> {
        let path = unique_path(dir);
        std::fs::write(&path, csv).map_err(|e| fullhouse_core::Error::internal(e.to_string()))?;
        let target = IntentImport::new(
            self.intents.clone(),
            self.org.clone(),
            options,
            "bench".into(),
            None,
        );
        let imported = wizard::run(&target, &self.db, &path, &ReadChoices::default(), None).await;
        let _ = std::fs::remove_file(&path);
        imported
    }

    /// The reference: the good rows of the layout booked straight through checkout, one order
    /// each, `in_flight` at a time. Returns the orders placed.
    pub async fn raw_load(&self, in_flight: usize) -> BenchResult<usize> {
        let file = self.file();
        let bad: std::collections::HashSet<u64> = file.bad.iter().map(|b| b.row).collect();
        let table = fullhouse_core::tabular::read_csv(file.csv.as_bytes(), true).map_err(fail)?;
        let checkout = self.intents.checkout().clone();
        let terms = Terms::resolve(
            StrategyChoice::default(),
            EventDefaults::default(),
            Utc::now(),
            Utc::now() + Duration::days(30),
        );
        let mut placing = tokio::task::JoinSet::new();
        let mut placed = 0;
        for row in table.rows.iter().filter(|r| !bad.contains(&r.number)) {
            let cell = |n: usize| row.cells.get(n).cloned().unwrap_or_default();
            let seated = !cell(8).is_empty();
            let item = IntentItem {
                ticket_type_id: TicketTypeId::from_db(cell(3)),
                quantity: None,
                seat_ids: Vec::new(),
                seats: if seated {
                    vec![SeatNames {
                        section_name: cell(5),
                        group_name: cell(6),
                        row_name: cell(7),
                        seat_label: cell(8),
                    }]
                } else {
                    Vec::new()
                },
                ga_name: Some(cell(4)).filter(|g| !g.is_empty()),
            };
            let request = PlaceOrder {
                cart: Cart {
                    referral_code: None,
                    event_id: self.event.clone(),
                    items: vec![item.cart_item()],
                    codes: Vec::new(),
                    customer_id: Some(CustomerId::from_db(cell(0))),
                },
                channel: Channel::BoxOffice,
                buyer: None,
                paid_at_counter: false,
                payment_method: None,
            };
            let (checkout, org, shop) = (checkout.clone(), self.org.clone(), self.shop.clone());
            placing.spawn(async move {
                checkout
                    .place_with(&org, request, Some(shop), terms.sale_terms())
                    .await
                    .is_ok()
            });
            while placing.len() >= in_flight {
                if let Some(done) = placing.join_next().await {
                    placed += usize::from(done.unwrap_or(false));
                }
            }
        }
        while let Some(done) = placing.join_next().await {
            placed += usize::from(done.unwrap_or(false));
        }
        Ok(placed)
    }
}

fn unique_path(dir: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    dir.join(format!(
        "intents-{}-{}.csv",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Runs the benchmark with `rows` rows (5 % bad): on SQLite in `dir`, and on PostgreSQL when
/// `postgres_admin_url` (a server URL whose user may create databases) is given.
pub async fn run(rows: usize, dir: &Path, postgres_admin_url: Option<&str>) -> BenchResult<()> {
    let layout = Layout::mixed(rows, 5);
    let sqlite = format!("sqlite://{}", dir.join("intents-bench.db").display());
    one_backend(&sqlite, layout, dir).await?;
    match postgres_admin_url {
        Some(admin) => {
            let name = format!("fullhouse_bench_intents_{}", std::process::id());
            let admin_db = Db::connect(admin).await.map_err(fail)?;
            let create = format!("CREATE DATABASE {name}");
            admin_db
                .writer()
                .execute_unprepared(&create)
                .await
                .map_err(fail)?;
            let url = with_database(admin, &name);
            let outcome = one_backend(&url, layout, dir).await;
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = admin_db.writer().execute_unprepared(&drop).await;
            outcome
        }
        None => {
            println!("PostgreSQL: skipped (no FULLHOUSE_BENCH_POSTGRES_URL or test URL)");
            Ok(())
        }
    }
}

async fn one_backend(url: &str, layout: Layout, dir: &Path) -> BenchResult<()> {
    let db = Db::connect(url).await.map_err(fail)?;
    db.migrate(all_migrations()).await.map_err(fail)?;
    let label = match db.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let stage = stage(&db, layout, "intent-import-bench").await?;
    let reference = stage_for_reference(&db, layout).await?;
    let file = stage.file();
    let started = Instant::now();
    let imported = stage
        .import(dir, &file.csv, ImportOptions::default())
        .await
        .map_err(|r| fail(r.error))?;
    let seconds = started.elapsed().as_secs_f64();
    let rate = file.rows as f64 / seconds;
    println!(
        "{label}: intent import of {} rows ({} seated, {} standing, {} bad) in {seconds:.2} s = {rate:.0} rows/s; {} tickets booked, {} rows rejected (target: 100,000 rows in ≤ 20 s on SQLite)",
        file.rows,
        layout.seated,
        layout.floor + layout.limited,
        layout.bad,
        imported.written.tickets,
        imported.rejected,
    );
    let started = Instant::now();
    let placed = reference.raw_load(2_048).await?;
    let raw_seconds = started.elapsed().as_secs_f64();
    let raw_rate = placed as f64 / raw_seconds;
    println!(
        "{label}: reference, the same {placed} bookings placed straight through checkout (2,048 in flight): {raw_seconds:.2} s = {raw_rate:.0} orders/s; import / raw = {:.2} (target: ≥ 0.5)",
        rate / raw_rate
    );
    Ok(())
}

/// A second stage in its own organization, for the reference load to book the same seats.
async fn stage_for_reference(db: &Db, layout: Layout) -> BenchResult<Stage> {
    stage(db, layout, "intent-import-reference").await
}

/// Replaces the database name of a PostgreSQL URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base.get(after_scheme..).and_then(|rest| rest.find('/')) {
        Some(slash) => base.get(..after_scheme + slash).unwrap_or(base),
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}
