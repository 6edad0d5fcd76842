//! `fullhouse bench segments`: N customers with about six tickets each over 2,000 events, built
//! into the index and loaded into PostgreSQL (`COPY`); then the p50/p99 of "total + every
//! per-filter count" for a 10-filter segment on the index, the index's bytes per customer, and
//! the same segment as the reference SQL on PostgreSQL in the same run, with the ratio.
//!
//! The headline figure moves all ten filters to new values every query, with the segment itself
//! cached (it is open on the dashboard; its definition changes rarely). The other figures are
//! printed beside it, labelled: one filter moved, the same query repeated, and nothing cached.
//!
//! The data is synthetic and seeded: the same N gives the same organization every run.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Db, OrgId};
use fullhouse_ticketing::{EventId, ProductionId, TicketTypeId, VenueId};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::ConnectionTrait;

use crate::index::{
    build, Catalog, CustomerRecord, EventEntry, OrgIndex, SalesSummary, SegmentQuery,
    TicketTypeEntry,
};
use crate::model::*;
use crate::reference;

/// What the bench is asked for.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub customers: usize,
    /// A PostgreSQL server whose user may create databases (a fresh one is made and dropped);
    /// `None` measures the index only.
    pub postgres_admin_url: Option<String>,
    /// Index queries to time.
    pub runs: usize,
    /// Also build the index again from PostgreSQL through the server's own path, and check it
    /// answers the same.
    pub rebuild_from_database: bool,
    /// Leave the loaded database behind (its name is printed) for a later `reuse_database`.
    pub keep_database: bool,
    /// Time against a database an earlier run with the same `customers` kept, instead of
    /// loading a new one: a 10,000,000-customer load takes most of an hour.
    pub reuse_database: Option<String>,
    /// Print PostgreSQL's plan for the reference query.
    pub explain: bool,
}

type BenchResult<T> = Result<T, String>;

fn fail(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

/// The bench organization's zone (its PostgreSQL twin is created in it too).
const BENCH_ZONE: Tz = Tz::Europe__Copenhagen;
const EVENTS: usize = 2_000;
const PRODUCTIONS: usize = 200;
const VENUES: usize = 5;
const TYPES_PER_EVENT: usize = 3;
const CATEGORIES: [&str; 3] = ["A", "B", "C"];
const TAGS: [(&str, f64); 3] = [("vip", 0.05), ("student", 0.10), ("press", 0.01)];
const PERMISSIONS: [(&str, f64); 2] = [("newsletter", 0.6), ("partner_offers", 0.2)];
const FIRST_NAMES: [&str; 8] = [
    "Anne", "Peter", "Mette", "Lars", "Kim", "Camille", "Jean", "Sofie",
];
const VENUE_SITES: [(f64, f64); VENUES] = [
    (55.68, 12.57),
    (56.15, 10.21),
    (55.40, 10.39),
    (57.05, 9.92),
    (55.47, 8.45),
];

/// The synthetic organization's catalog.
struct World {
    today: NaiveDate,
    now: DateTime<Utc>,
    venue_ids: Vec<String>,
    production_ids: Vec<String>,
    event_ids: Vec<String>,
    event_production: Vec<usize>,
    event_venue: Vec<usize>,
    event_start: Vec<DateTime<Utc>>,
    type_ids: Vec<String>,
    type_category: Vec<&'static str>,
}

fn ulid_id(prefix: &str, ms: u64, n: u128) -> String {
    format!("{prefix}_{}", ulid::Ulid::from_parts(ms, n))
}

fn world(now: DateTime<Utc>, rng: &mut SmallRng) -> World {
    let today = local_date(now, BENCH_ZONE);
    let ms = 1_700_000_000_000;
    let venue_ids = (0..VENUES)
        .map(|i| {
            VenueId::parse(&ulid_id("ven", ms, i as u128))
                .map(|v| v.to_string())
                .unwrap_or_default()
        })
        .collect();
    let production_ids = (0..PRODUCTIONS)
        .map(|i| {
            ProductionId::parse(&ulid_id("prd", ms, i as u128))
                .map(|v| v.to_string())
                .unwrap_or_default()
        })
        .collect();
    let mut w = World {
        today,
        now,
        venue_ids,
        production_ids,
        event_ids: Vec::new(),
        event_production: Vec::new(),
        event_venue: Vec::new(),
        event_start: Vec::new(),
        type_ids: Vec::new(),
        type_category: Vec::new(),
    };
    let midnight = Utc.from_utc_datetime(&today.and_hms_opt(19, 30, 0).unwrap_or_default());
    for e in 0..EVENTS {
        w.event_ids.push(
            EventId::parse(&ulid_id("evt", ms, e as u128))
                .map(|v| v.to_string())
                .unwrap_or_default(),
        );
        w.event_production.push(e % PRODUCTIONS);
        w.event_venue.push(rng.gen_range(0..VENUES));
        // Two years back to one year ahead.
        w.event_start
            .push(midnight + chrono::Duration::days(rng.gen_range(-730..365)));
        for t in 0..TYPES_PER_EVENT {
            w.type_ids.push(
                TicketTypeId::parse(&ulid_id("tt", ms, (e * TYPES_PER_EVENT + t) as u128))
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            );
            w.type_category.push(CATEGORIES[t % CATEGORIES.len()]);
        }
    }
    w
}

impl World {
    fn catalog(&self) -> Catalog {
        let mut catalog = Catalog {
            zone: BENCH_ZONE,
            ..Catalog::default()
        };
        for (i, id) in self.venue_ids.iter().enumerate() {
            catalog.venues.insert(id.clone(), VENUE_SITES[i]);
        }
        for e in 0..EVENTS {
            catalog.add_event(EventEntry {
                facts: EventFacts {
                    id: self.event_ids[e].clone(),
                    production_id: self.production_ids[self.event_production[e]].clone(),
                    venue_id: self.venue_ids[self.event_venue[e]].clone(),
                    starts_at: self.event_start[e],
                },
                day: day_number(self.event_start[e].date_naive()),
            });
        }
        for (t, id) in self.type_ids.iter().enumerate() {
            catalog.add_ticket_type(TicketTypeEntry {
                id: id.clone(),
                event: (t / TYPES_PER_EVENT) as u32,
                category: Some(self.type_category[t].to_string()),
            });
        }
        catalog
    }
}

/// One generated customer: the index record and, when PostgreSQL is measured, its rows.
struct Generated {
    record: CustomerRecord,
}

/// Text rows for `COPY`, per table.
#[derive(Default)]
struct CopyBuffers {
    customers: String,
    tags: String,
    permissions: String,
    orders: String,
    tickets: String,
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S+00").to_string()
}

fn generate(
    i: usize,
    w: &World,
    rng: &mut SmallRng,
    org: &str,
    copy: Option<&mut CopyBuffers>,
) -> Generated {
    let ms = 1_700_000_000_000u64;
    let id = ulid::Ulid::from_parts(ms, i as u128);
    let customer_id = format!("cus_{id}");
    let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
    let gender = if rng.gen_bool(0.3) {
        Some(if rng.gen_bool(0.5) { "female" } else { "male" })
    } else {
        None
    };
    let birth = rng
        .gen_bool(0.8)
        .then(|| w.today - chrono::Duration::days(rng.gen_range(16 * 365..90 * 365)));
    let subscriber = rng.gen_bool(0.2);
    let coordinates = rng.gen_bool(0.7).then(|| {
        let (lat, lon) = VENUE_SITES[rng.gen_range(0..VENUES)];
        (
            lat + rng.gen_range(-1.0..1.0),
            lon + rng.gen_range(-1.0..1.0),
        )
    });
    let tags: Vec<String> = TAGS
        .iter()
        .filter(|(_, p)| rng.gen_bool(*p))
        .map(|(t, _)| t.to_string())
        .collect();
    let permissions: Vec<String> = PERMISSIONS
        .iter()
        .filter(|(_, p)| rng.gen_bool(*p))
        .map(|(t, _)| t.to_string())
        .collect();
    let mut sales = SalesSummary::default();
    let mut holdings = Vec::new();
    let mut events = Vec::new();
    let orders = rng.gen_range(1..=3);
    let mut order_rows = String::new();
    let mut ticket_rows = String::new();
    for o in 0..orders {
        let order_id = format!("ord_{}", ulid::Ulid::from_parts(ms, (i * 4 + o) as u128));
        let online = rng.gen_bool(0.7);
        // Popular events sell more: squaring a uniform number skews towards low numbers.
        let event = ((rng.gen::<f64>().powi(2)) * EVENTS as f64) as usize % EVENTS;
        let start = w.event_start[event];
        let ordered_at = start - chrono::Duration::minutes(rng.gen_range(60..200 * 24 * 60));
        // Nobody has bought tomorrow's tickets yet.
        let ordered_at =
            ordered_at.min(w.now - chrono::Duration::minutes(rng.gen_range(1..100_000)));
        let ordered_day = day_number(ordered_at.date_naive());
        let ordered_local_day = day_number(local_date(ordered_at, BENCH_ZONE));
        let tickets = rng.gen_range(1..=5);
        let mut total = 0i64;
        for t in 0..tickets {
            let tt = event * TYPES_PER_EVENT + rng.gen_range(0..TYPES_PER_EVENT);
            let price = rng.gen_range(1..=8) * 10_000i64;
            total += price;
            holdings.push(tt as u32);
            if copy.is_some() {
                let ticket_id = format!(
                    "tkt_{}",
                    ulid::Ulid::from_parts(ms, (i * 32 + o * 8 + t) as u128)
                );
                let _ = writeln!(
                    ticket_rows,
                    "{org}\t{ticket_id}\t{order_id}\t{}\t{}\t{customer_id}\t\\N\t\\N\t{price}\tDKK\t{ticket_id}\tVIRTUAL\tvalid\t{}",
                    w.event_ids[event], w.type_ids[tt], timestamp(ordered_at)
                );
            }
        }
        sales.tickets += tickets as u32;
        sales.revenue_minor += total;
        events.push(event);
        sales.last_day = Some(
            sales
                .last_day
                .map_or(ordered_local_day, |d| d.max(ordered_local_day)),
        );
        let impulse = day_number(start.date_naive()) - ordered_day;
        sales.impulse_days = Some(sales.impulse_days.map_or(impulse, |d| d.min(impulse)));
        if online {
            sales.online = true;
        } else {
            sales.box_office = true;
        }
        if copy.is_some() {
            let at = timestamp(ordered_at);
            let _ = writeln!(
                order_rows,
                "{org}\t{order_id}\t\\N\t{customer_id}\t{}\tpaid\t{total}\tDKK\tbench\t{at}\t{at}\t\\N",
                if online { "online" } else { "box_office" }
            );
        }
    }
    events.sort_unstable();
    events.dedup();
    sales.events = events.len() as u32;
    sales.orders = orders as u32;
    holdings.sort_unstable();
    holdings.dedup();
    if let Some(copy) = copy {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "\\N".to_string());
        let now = timestamp(Utc::now());
        let _ = writeln!(
            copy.customers,
            "{org}\t{customer_id}\t\\N\t{first}\tBench\t\\N\t\\N\t\\N\t\\N\t{}\t{}\t\\N\t\\N\t\\N\t\\N\t{}\t{}\t\\N\t{}\t{now}\t{now}",
            opt(gender.map(str::to_string)),
            opt(birth.map(|b| b.to_string())),
            // Rust's shortest round-trip form: the database reads back the very f64 the index keeps.
            opt(coordinates.map(|c| c.0.to_string())),
            opt(coordinates.map(|c| c.1.to_string())),
            if subscriber { "t" } else { "f" },
        );
        for tag in &tags {
            let _ = writeln!(copy.tags, "{org}\t{customer_id}\t{tag}\t{now}");
        }
        for permission in &permissions {
            let _ = writeln!(
                copy.permissions,
                "{org}\t{customer_id}\t{permission}\tt\t{now}\tbench"
            );
        }
        copy.orders.push_str(&order_rows);
        copy.tickets.push_str(&ticket_rows);
    }
    Generated {
        record: CustomerRecord {
            id: id.0,
            gender: infer_gender(gender, None, Some(first)),
            birth_date: birth,
            subscriber,
            coordinates,
            tags,
            permissions,
            sales,
            holdings,
        },
    }
}

/// The segment the bench counts: every future event and the last year's, with ten filters.
fn ten_filter_query(w: &World) -> SegmentQuery {
    let venue = VenueId::parse(&w.venue_ids[0]).ok();
    let mut filters = vec![
        Filter::Age {
            min: Some(25),
            max: Some(65),
        },
        Filter::Gender {
            gender: GenderChoice::Both,
        },
        Filter::Channel {
            channel: ChannelChoice::Online,
        },
        Filter::Tickets {
            count: 3,
            mode: CountMode::AtLeast,
        },
        Filter::Events {
            count: 1,
            mode: CountMode::AtLeast,
        },
        Filter::Orders {
            count: 2,
            mode: CountMode::AtLeast,
        },
        Filter::Revenue {
            minor: 50_000,
            mode: CountMode::AtLeast,
        },
        Filter::LatestPurchase {
            days: 400,
            mode: RecencyMode::Within,
        },
        Filter::Permission {
            permission: "newsletter".into(),
            mode: Inclusion::Include,
        },
    ];
    if let Some(venue_id) = venue {
        filters.push(Filter::Distance {
            venue_id,
            max_km: 100.0,
        });
    }
    SegmentQuery {
        definition: SegmentDefinition {
            days_back: 365,
            ..Default::default()
        },
        view_for: ViewFor::default(),
        filters,
        today: w.today,
        zone: BENCH_ZONE,
    }
}

/// The bench query with every filter at a new value for run `i`: the sliders at new positions,
/// the choices turned to another option, the distance from another venue.
fn every_filter_moved(query: &SegmentQuery, w: &World, i: usize) -> SegmentQuery {
    let mut moved = query.clone();
    for filter in &mut moved.filters {
        match filter {
            Filter::Age { min, max } => {
                *min = Some(18 + (i % 30) as u32);
                *max = Some(50 + (i / 30 % 40) as u32);
            }
            Filter::Gender { gender } => {
                *gender = [GenderChoice::Both, GenderChoice::Women, GenderChoice::Men][i % 3];
            }
            Filter::Channel { channel } => {
                *channel = [
                    ChannelChoice::Online,
                    ChannelChoice::BoxOffice,
                    ChannelChoice::Both,
                ][i % 3];
            }
            Filter::Tickets { count, .. } => *count = 1 + (i % 9) as u32,
            Filter::Events { count, .. } => *count = 1 + (i % 4) as u32,
            Filter::Orders { count, .. } => *count = 1 + (i % 3) as u32,
            Filter::Revenue { minor, .. } => *minor = 10_000 + 1_000 * i as u64,
            Filter::LatestPurchase { days, .. } => *days = 30 + i as u32,
            Filter::Permission { permission, mode } => {
                *permission = PERMISSIONS[i % PERMISSIONS.len()].0.to_string();
                *mode = if (i / 2).is_multiple_of(2) {
                    Inclusion::Include
                } else {
                    Inclusion::Exclude
                };
            }
            Filter::Distance { venue_id, max_km } => {
                if let Ok(venue) = VenueId::parse(&w.venue_ids[i % VENUES]) {
                    *venue_id = venue;
                }
                *max_km = 20.0 + 0.37 * i as f64;
            }
            _ => {}
        }
    }
    moved
}

/// Times `runs` answers of the queries `make` gives; prints p50 and p99, returns p50.
fn time_runs(
    index: &OrgIndex,
    runs: usize,
    label: &str,
    make: impl Fn(usize) -> SegmentQuery,
) -> BenchResult<Duration> {
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let query = make(i);
        let t = Instant::now();
        std::hint::black_box(index.answer(&query).map_err(fail)?);
        times.push(t.elapsed());
    }
    times.sort();
    let p50 = percentile(&times, 0.5);
    println!(
        "index total + 10 per-filter counts, {label}, {runs} runs: p50 {}  p99 {}",
        ms(p50),
        ms(percentile(&times, 0.99))
    );
    Ok(p50)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Runs the bench and prints one line per figure.
pub async fn run(options: BenchOptions) -> BenchResult<()> {
    let n = options.customers;
    let mut rng = SmallRng::seed_from_u64(0x5E6_2026);
    let postgres = match (&options.postgres_admin_url, &options.reuse_database) {
        (Some(url), Some(name)) => Some(PgBench::reuse(url, name, n).await?),
        (Some(url), None) => Some(PgBench::create(url).await?),
        (None, _) => None,
    };
    // The data is dated from the organization's creation, so that a reused database and the
    // index generated again agree on every day.
    let now = postgres.as_ref().map_or_else(Utc::now, |pg| pg.created_at);
    let w = world(now, &mut rng);
    println!(
        "segments bench: {n} customers, {EVENTS} events, {} ticket types",
        w.type_ids.len()
    );
    let org = match &postgres {
        Some(pg) => pg.org.to_string(),
        None => "org_bench".to_string(),
    };
    let loading = postgres.as_ref().filter(|pg| !pg.reused);

    // Generate, and build the index as the customers arrive; the PostgreSQL rows go to COPY.
    let mut index = OrgIndex::new(w.catalog());
    let mut index_time = Duration::ZERO;
    let mut copy_time = Duration::ZERO;
    let mut tickets = 0u64;
    let mut buffers = CopyBuffers::default();
    let mut copier = match loading {
        Some(pg) => Some(pg.copier().await?),
        None => None,
    };
    let started = Instant::now();
    for i in 0..n {
        let generated = generate(i, &w, &mut rng, &org, copier.as_ref().map(|_| &mut buffers));
        tickets += u64::from(generated.record.sales.tickets);
        let t = Instant::now();
        index.push(generated.record);
        index_time += t.elapsed();
        if let Some(copier) = copier.as_mut() {
            if buffers.tickets.len() > 8 << 20 || i + 1 == n {
                let t = Instant::now();
                copier.send(&mut buffers).await?;
                copy_time += t.elapsed();
            }
        }
    }
    let t = Instant::now();
    index.optimize();
    index_time += t.elapsed();
    println!(
        "generated {n} customers and {tickets} tickets ({:.1} per customer) in {:.1} s",
        tickets as f64 / n.max(1) as f64,
        started.elapsed().as_secs_f64()
    );
    println!(
        "index build: {:.2} s ({:.0} customers/s)",
        index_time.as_secs_f64(),
        n as f64 / index_time.as_secs_f64().max(1e-9)
    );
    if let (Some(pg), Some(copier)) = (loading, copier.take()) {
        let t = Instant::now();
        copier.finish().await?;
        pg.finish_load(&w).await?;
        copy_time += t.elapsed();
        println!(
            "postgresql build (COPY with indexes, catalog, VACUUM ANALYZE, CHECKPOINT): {:.1} s",
            copy_time.as_secs_f64()
        );
    }
    if let Some(pg) = postgres.as_ref().filter(|pg| pg.reused) {
        println!(
            "postgresql: reusing database {} as an earlier run loaded it ({n} customers)",
            pg.name
        );
    }

    let bytes = index.serialized_size();
    println!("index size: {bytes} bytes = {:.1} bytes per customer (bitmaps + columns incl. 16-byte ids)", bytes as f64 / n.max(1) as f64);

    let query = ten_filter_query(&w);
    let cold = Instant::now();
    let (first, _) = index.answer(&query).map_err(fail)?;
    let cold = cold.elapsed();
    println!(
        "segment: {} customers; total with 10 filters: {}; per filter: {:?}",
        first.segment,
        first.total,
        first
            .filters
            .iter()
            .map(|f| (f.kind.as_str(), f.count))
            .collect::<Vec<_>>()
    );
    println!(
        "index first answer (segment base and 10 filters computed): {}",
        ms(cold)
    );
    // The headline: every filter at a new value every query, the segment cached. A few untimed
    // queries first (values the timed runs do not use), so the first timed ones do not pay for
    // the allocator growing its heap.
    for i in 0..10 {
        std::hint::black_box(
            index
                .answer(&every_filter_moved(&query, &w, options.runs + i))
                .map_err(fail)?,
        );
    }
    let p50 = time_runs(
        &index,
        options.runs,
        "every filter value new each query, segment cached (headline)",
        |i| every_filter_moved(&query, &w, i),
    )?;
    // A slider moving: one filter differs every time.
    time_runs(
        &index,
        options.runs,
        "one filter changed per query (age slider), segment cached",
        |i| {
            let mut moved = query.clone();
            if let Some(Filter::Age { min, max }) = moved.filters.first_mut() {
                // A new (min, max) pair every run: the age filter never comes from the cache.
                *min = Some(18 + (i / 60) as u32);
                *max = Some(40 + (i % 60) as u32);
            }
            moved
        },
    )?;
    time_runs(
        &index,
        options.runs,
        "the same query repeated, segment cached",
        |_| query.clone(),
    )?;
    // Nothing cached: the segment base and all ten filters from scratch.
    let cold_runs = (options.runs / 10).max(5);
    let mut cold_times = Vec::with_capacity(cold_runs);
    for _ in 0..cold_runs {
        index.clear_caches();
        let t = Instant::now();
        std::hint::black_box(index.answer(&query).map_err(fail)?);
        cold_times.push(t.elapsed());
    }
    cold_times.sort();
    println!(
        "index total + 10 per-filter counts, nothing cached (segment computed too), {cold_runs} runs: p50 {}  p99 {}",
        ms(percentile(&cold_times, 0.5)),
        ms(percentile(&cold_times, 0.99))
    );

    if let Some(pg) = &postgres {
        if options.explain {
            println!("postgresql plan of the reference SQL:");
            for line in reference::plan(&pg.db, &pg.org, &query)
                .await
                .map_err(fail)?
            {
                println!("  {line}");
            }
        }
        let mut sql_times = Vec::new();
        let mut expected = None;
        for _ in 0..3 {
            let t = Instant::now();
            let counts = reference::counts(&pg.db, &pg.org, &query)
                .await
                .map_err(fail)?;
            sql_times.push(t.elapsed());
            expected = Some(counts);
        }
        sql_times.sort();
        let sql_p50 = percentile(&sql_times, 0.5);
        let same = expected.as_ref().is_some_and(|e| {
            e.segment == first.segment
                && e.total == first.total
                && e.filters == first.filters.iter().map(|f| f.count).collect::<Vec<_>>()
        });
        println!(
            "postgresql reference SQL, same segment (median of 3; {}): {}  (answers equal: {same})",
            REFERENCE_SETTINGS
                .map(|(k, v)| format!("{k} {v}"))
                .join(", "),
            ms(sql_p50)
        );
        println!(
            "ratio SQL / index p50 (headline, every filter value new): {:.0}x",
            sql_p50.as_secs_f64() / p50.as_secs_f64().max(1e-12)
        );
        // The headline's queries are exact too: two of them against the reference.
        let mut moved_equal = true;
        for i in [1, options.runs / 2] {
            let moved = every_filter_moved(&query, &w, i);
            let expected = reference::counts(&pg.db, &pg.org, &moved)
                .await
                .map_err(fail)?;
            let (got, _) = index.answer(&moved).map_err(fail)?;
            moved_equal &= expected.segment == got.segment
                && expected.total == got.total
                && expected.filters == got.filters.iter().map(|f| f.count).collect::<Vec<_>>();
        }
        println!(
            "every-filter-moved queries against the reference SQL: answers equal: {moved_equal}"
        );
        if options.rebuild_from_database {
            let t = Instant::now();
            let rebuilt = build::build(&pg.db, &pg.org).await.map_err(fail)?;
            let elapsed = t.elapsed();
            let (again, _) = rebuilt.answer(&query).map_err(fail)?;
            println!(
                "index build from PostgreSQL (the server's path): {:.1} s (answers equal: {})",
                elapsed.as_secs_f64(),
                again.total == first.total && again.segment == first.segment
            );
        }
        if options.keep_database || pg.reused {
            println!(
                "kept database {} (for --reuse-database; drop it with DROP DATABASE {} WITH (FORCE))",
                pg.name, pg.name
            );
        } else {
            pg.drop_database().await;
        }
    }
    Ok(())
}

/// The memory each sort or hash of the reference query may use on the bench database, and the
/// most temporary disk one server process may fill. With PostgreSQL's default 4 MB, the
/// reference's joins and its sort by customer spill more than 30 GB to disk at 10,000,000
/// customers (it filled this machine's disk); a server sized for such queries gives them
/// memory. 1 GB is generous to the SQL side, so the ratio errs low; the disk cap makes a query
/// that would still fill the disk fail with PostgreSQL's own message instead.
const REFERENCE_SETTINGS: [(&str, &str); 2] = [("work_mem", "1GB"), ("temp_file_limit", "12GB")];

/// A fresh PostgreSQL database for one run.
struct PgBench {
    admin: Db,
    name: String,
    db: Db,
    org: OrgId,
    created_at: DateTime<Utc>,
    /// Loaded by an earlier run: nothing to copy, nothing to drop.
    reused: bool,
}

struct Copier {
    conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
}

impl PgBench {
    async fn create(admin_url: &str) -> BenchResult<Self> {
        let admin = Db::connect(admin_url).await.map_err(fail)?;
        let name = format!("fullhouse_bench_segments_{}", std::process::id());
        admin
            .writer()
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .map_err(fail)?;
        admin
            .writer()
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(fail)?;
        configure(&admin, &name).await?;
        let url = with_database(admin_url, &name);
        let db = Db::connect(&url).await.map_err(fail)?;
        db.migrate(fullhouse_core::module::migrations_with_core(&[
            &fullhouse_ticketing::Ticketing,
            &crate::Segments,
        ]))
        .await
        .map_err(fail)?;
        let org = TenancyService::new(db.clone())
            .create_organization(NewOrganization {
                name: "Bench Theatre".into(),
                slug: "bench".into(),
                default_language: "da".into(),
                timezone: "Europe/Copenhagen".into(),
                currency: "DKK".into(),
            })
            .await
            .map_err(fail)?;
        Ok(Self {
            admin,
            name,
            db,
            org: org.id,
            created_at: org.created_at,
            reused: false,
        })
    }

    /// A database an earlier run kept; it must hold the bench organization with `customers`
    /// customers, or the index generated now would not be the same data.
    async fn reuse(admin_url: &str, name: &str, customers: usize) -> BenchResult<Self> {
        // The name goes into `ALTER DATABASE`; the bench's own names are all of this kind.
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "--reuse-database takes a database name of letters, digits and underscores, not `{name}`"
            ));
        }
        let admin = Db::connect(admin_url).await.map_err(fail)?;
        configure(&admin, name).await?;
        let db = Db::connect(&with_database(admin_url, name))
            .await
            .map_err(|e| format!("cannot open database {name}: {e:?}"))?;
        let org = TenancyService::new(db.clone())
            .organization_by_slug("bench")
            .await
            .map_err(fail)?
            .ok_or_else(|| format!("database {name} holds no bench organization"))?;
        let row = db
            .reader()
            .query_one(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM customers WHERE organization_id = $1",
                [org.id.to_string().into()],
            ))
            .await
            .map_err(fail)?;
        let held: i64 = match row {
            Some(row) => row.try_get("", "n").map_err(fail)?,
            None => 0,
        };
        if usize::try_from(held).ok() != Some(customers) {
            return Err(format!(
                "database {name} holds {held} customers, not {customers}: run with --customers {held}"
            ));
        }
        Ok(Self {
            admin,
            name: name.to_string(),
            db,
            org: org.id,
            created_at: org.created_at,
            reused: true,
        })
    }

    async fn copier(&self) -> BenchResult<Copier> {
        let pool = self.db.postgres_pool().ok_or("not PostgreSQL")?;
        Ok(Copier {
            conn: pool.acquire().await.map_err(fail)?,
        })
    }

    /// The catalog (small: plain inserts) and statistics for the planner.
    async fn finish_load(&self, w: &World) -> BenchResult<()> {
        let org = self.org.to_string();
        let now = timestamp(Utc::now());
        let mut sql = String::new();
        for (i, id) in w.venue_ids.iter().enumerate() {
            let (lat, lon) = VENUE_SITES[i];
            let _ = writeln!(sql, "INSERT INTO venues (organization_id, id, name, latitude, longitude, timezone, created_at, updated_at) VALUES ('{org}', '{id}', 'Venue {i}', {lat}, {lon}, 'Europe/Copenhagen', '{now}', '{now}');");
        }
        for (i, id) in w.production_ids.iter().enumerate() {
            let _ = writeln!(sql, "INSERT INTO productions (organization_id, id, name, created_at, updated_at) VALUES ('{org}', '{id}', 'Production {i}', '{now}', '{now}');");
        }
        self.db
            .writer()
            .execute_unprepared(&sql)
            .await
            .map_err(fail)?;
        sql.clear();
        for e in 0..EVENTS {
            let _ = writeln!(sql, "INSERT INTO events (organization_id, id, production_id, venue_id, starts_at, status, created_at, updated_at) VALUES ('{org}', '{}', '{}', '{}', '{}', 'on_sale', '{now}', '{now}');",
                w.event_ids[e], w.production_ids[w.event_production[e]], w.venue_ids[w.event_venue[e]], timestamp(w.event_start[e]));
            for t in 0..TYPES_PER_EVENT {
                let tt = e * TYPES_PER_EVENT + t;
                let _ = writeln!(sql, "INSERT INTO ticket_types (organization_id, id, event_id, name, category, price_minor, currency, sold, hidden, created_at, updated_at) VALUES ('{org}', '{}', '{}', 'Ticket', '{}', 10000, 'DKK', 0, false, '{now}', '{now}');",
                    w.type_ids[tt], w.event_ids[e], w.type_category[tt]);
            }
        }
        self.db
            .writer()
            .execute_unprepared(&sql)
            .await
            .map_err(fail)?;
        // A settled database, as a production one is between loads: statistics for the
        // planner, the visibility map for index-only scans, and the load's dirty pages written
        // out, so neither autovacuum nor the checkpointer competes with the timed queries.
        for sql in ["VACUUM ANALYZE", "CHECKPOINT"] {
            self.db
                .writer()
                .execute_unprepared(sql)
                .await
                .map_err(fail)?;
        }
        Ok(())
    }

    async fn drop_database(&self) {
        self.db.writer().execute_unprepared("SELECT 1").await.ok();
        let _ = self
            .admin
            .writer()
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

/// Gives the bench database [`REFERENCE_SETTINGS`] (for the sessions opened after this).
async fn configure(admin: &Db, name: &str) -> BenchResult<()> {
    for (setting, value) in REFERENCE_SETTINGS {
        admin
            .writer()
            .execute_unprepared(&format!("ALTER DATABASE {name} SET {setting} = '{value}'"))
            .await
            .map_err(|e| format!("cannot set {setting} on database {name}: {e:?}"))?;
    }
    Ok(())
}

impl Copier {
    async fn copy(&mut self, table: &str, columns: &str, rows: &mut String) -> BenchResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut copy = self
            .conn
            .copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN"))
            .await
            .map_err(fail)?;
        copy.send(rows.as_bytes()).await.map_err(fail)?;
        copy.finish().await.map_err(fail)?;
        rows.clear();
        Ok(())
    }

    async fn send(&mut self, b: &mut CopyBuffers) -> BenchResult<()> {
        self.copy("customers", "organization_id, id, external_id, first_name, last_name, email, phone, company, title, gender, birth_date, address_line, postal_code, city, country, latitude, longitude, language, subscriber, created_at, updated_at", &mut b.customers).await?;
        self.copy(
            "customer_tags",
            "organization_id, customer_id, tag, created_at",
            &mut b.tags,
        )
        .await?;
        self.copy(
            "customer_permissions",
            "organization_id, customer_id, permission, granted, changed_at, source",
            &mut b.permissions,
        )
        .await?;
        self.copy("orders", "organization_id, id, external_id, customer_id, channel, status, total_minor, currency, source, created_at, updated_at, cancelled_at", &mut b.orders).await?;
        self.copy("tickets", "organization_id, id, order_id, event_id, ticket_type_id, customer_id, seat_id, ga_area_id, price_minor, currency, barcode, delivery_type, status, created_at", &mut b.tickets).await?;
        Ok(())
    }

    async fn finish(self) -> BenchResult<()> {
        Ok(())
    }
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.rsplit_once('/') {
        Some((head, _)) if head.contains("//") && head.len() > "postgres://".len() - 1 => {
            head.to_string()
        }
        _ => base.to_string(),
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}
