//! `fullhouse bench export --customers N`: N customers (with tags, permissions and, for one in
//! four, an order of two tickets) loaded into a temporary SQLite database (and a fresh
//! PostgreSQL one when a server is given), then both exports in CSV and XLSX through the job's
//! own code ([`Export`]), each with its customers/s, peak RSS and file size beside the targets
//! (CSV ≥ 500,000 customers/s, XLSX ≥ 100,000 customers/s) — and, in the same run, the bare
//! `csv` and `rust_xlsxwriter` crates writing the same rows from memory, the floor the export
//! is compared with.
//!
//! The rows are synthetic and seeded by their number: the same N gives the same file every run.
//! The loader is also what the end-to-end tests use to put 20,000 customers in a database.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fullhouse_core::tabular::ExportFormat;
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Db, OrgId};
use fullhouse_ticketing::service::facts::{FactsService, SaleFacts};
use fullhouse_ticketing::store::customers;
use fullhouse_web::Lang;
use sea_orm::ConnectionTrait;

use crate::jobs::export::{conventions, Export};
use crate::jobs::export_rows::{CustomerLine, ExportKind, Purchases, RowFormat};

type BenchResult<T> = Result<T, String>;

fn fail(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

/// Customers/s an export must reach, per format.
const CSV_TARGET: f64 = 500_000.0;
const XLSX_TARGET: f64 = 100_000.0;
/// Rows per `INSERT` and per transaction of the load.
const ROWS_PER_INSERT: usize = 500;
const ROWS_PER_TRANSACTION: usize = 50_000;

const FIRST_NAMES: [&str; 8] = [
    "Mette", "Søren", "Anne", "Lars", "Camille", "Hugo", "Ida", "Émile",
];
const CITIES: [&str; 5] = ["Aarhus", "København", "Odense", "Lyon", "Brest"];
/// The time every id is made at: ids in number order are ids in string order.
const ID_MS: u64 = 1_700_000_000_000;

/// The customer number `i` of the bench (and of the tests' bulk loads).
pub fn synthetic_customer(org: &str, i: usize) -> customers::Model {
    let at = Utc
        .timestamp_millis_opt(ID_MS as i64)
        .single()
        .unwrap_or_default();
    let city = CITIES[i % CITIES.len()];
    customers::Model {
        organization_id: org.to_string(),
        id: format!("cus_{}", ulid::Ulid::from_parts(ID_MS, i as u128)),
        external_id: Some(format!("B{i}")),
        first_name: Some(FIRST_NAMES[i % FIRST_NAMES.len()].to_string()),
        last_name: Some(format!("Kunde{i}")),
        email: Some(format!("c{i}@example.dk")),
        phone: Some(format!("+45 {:08}", i % 100_000_000)),
        company: i.is_multiple_of(7).then(|| "Teatret A/S".to_string()),
        title: None,
        gender: Some(
            if i.is_multiple_of(2) {
                "female"
            } else {
                "male"
            }
            .to_string(),
        ),
        birth_date: NaiveDate::from_ymd_opt(1950 + (i % 50) as i32, 1 + (i % 12) as u32, 1),
        address_line: Some(format!("Gade {}", i % 200)),
        postal_code: Some(format!("{}", 1000 + i % 9000)),
        city: Some(city.to_string()),
        country: Some(
            if city == "Lyon" || city == "Brest" {
                "FR"
            } else {
                "DK"
            }
            .to_string(),
        ),
        latitude: Some(48.0 + (i % 800) as f64 / 100.0),
        // Brest is west of Greenwich: some longitudes are negative (and neutralized in files).
        longitude: Some(-4.5 + (i % 1700) as f64 / 100.0),
        language: Some(if i.is_multiple_of(3) { "fr" } else { "da" }.to_string()),
        subscriber: i.is_multiple_of(5),
        created_at: at,
        updated_at: at,
    }
}

/// The tags of customer `i`.
pub fn synthetic_tags(i: usize) -> Vec<&'static str> {
    [(20, "vip"), (10, "student")]
        .into_iter()
        .filter(|(every, _)| i.is_multiple_of(*every))
        .map(|(_, tag)| tag)
        .collect()
}

/// The permissions customer `i` granted.
pub fn synthetic_permissions(i: usize) -> Vec<&'static str> {
    [(3, "newsletter"), (5, "partner_offers")]
        .into_iter()
        .filter(|(every, _)| i % every != 1)
        .map(|(_, permission)| permission)
        .collect()
}

/// Customer `i`'s sales: one in four has an order of two tickets.
pub fn synthetic_sales(customer: &str, i: usize, event: &str) -> Vec<SaleFacts> {
    if !i.is_multiple_of(4) {
        return Vec::new();
    }
    let ordered_at = Utc
        .timestamp_opt(1_750_000_000 + (i as i64 % 10_000_000), 0)
        .single()
        .unwrap_or_default();
    (0..2)
        .map(|t| SaleFacts {
            ticket_id: format!("tkt_{}", ulid::Ulid::from_parts(ID_MS, (i * 2 + t) as u128)),
            customer_id: customer.to_string(),
            order_id: format!("ord_{}", ulid::Ulid::from_parts(ID_MS, i as u128)),
            ticket_type_id: "tt".into(),
            event_id: event.to_string(),
            price_minor: 25_000,
            ordered_at,
            channel: "online".into(),
        })
        .collect()
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

fn quoted(value: &Option<String>) -> String {
    match value {
        Some(text) => format!("'{}'", text.replace('\'', "''")),
        None => "NULL".to_string(),
    }
}

/// The catalog a bench's sales point at: one venue, production, event and ticket type.
struct Catalog {
    event: String,
    ticket_type: String,
}

async fn catalog(db: &Db, org: &str) -> BenchResult<Catalog> {
    let id = |prefix: &str| format!("{prefix}_{}", ulid::Ulid::from_parts(ID_MS, 1));
    let (venue, production, event, ticket_type) = (id("ven"), id("prd"), id("evt"), id("tt"));
    let now = stamp(Utc::now());
    let sql = [
        format!("INSERT INTO venues (organization_id, id, name, latitude, longitude, timezone, created_at, updated_at) VALUES ('{org}', '{venue}', 'Bench Hall', 55.68, 12.57, 'Europe/Copenhagen', '{now}', '{now}')"),
        format!("INSERT INTO productions (organization_id, id, name, created_at, updated_at) VALUES ('{org}', '{production}', 'Bench', '{now}', '{now}')"),
        format!("INSERT INTO events (organization_id, id, production_id, venue_id, starts_at, status, created_at, updated_at) VALUES ('{org}', '{event}', '{production}', '{venue}', '{now}', 'on_sale', '{now}', '{now}')"),
        format!("INSERT INTO ticket_types (organization_id, id, event_id, name, category, price_minor, currency, sold, hidden, created_at, updated_at) VALUES ('{org}', '{ticket_type}', '{event}', 'Ticket', 'A', 25000, 'DKK', 0, false, '{now}', '{now}')"),
    ];
    for statement in sql {
        db.writer()
            .execute_unprepared(&statement)
            .await
            .map_err(fail)?;
    }
    Ok(Catalog { event, ticket_type })
}

/// Loads customers `0..n` of the organization (with their tags, permissions and sales) in
/// multi-row inserts: far faster than the API, and the same rows [`synthetic_customer`] gives.
pub async fn load(db: &Db, org: &OrgId, n: usize) -> BenchResult<()> {
    let org = org.to_string();
    let catalog = catalog(db, &org).await?;
    let now = stamp(Utc::now());
    let mut start = 0;
    while start < n {
        let end = (start + ROWS_PER_TRANSACTION).min(n);
        let txn = db.begin_write().await.map_err(fail)?;
        for chunk in (start..end).collect::<Vec<_>>().chunks(ROWS_PER_INSERT) {
            let mut tables = [
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ];
            for &i in chunk {
                let c = synthetic_customer(&org, i);
                let [customers, tags, permissions, orders, tickets] = &mut tables;
                let sep = |s: &String| if s.is_empty() { "" } else { "," };
                let _ = write!(
                    customers,
                    "{}('{org}','{}',{},{},{},{},{},{},NULL,{},{},{},{},{},{},{},{},{},{},'{now}','{now}')",
                    sep(customers), c.id, quoted(&c.external_id), quoted(&c.first_name),
                    quoted(&c.last_name), quoted(&c.email), quoted(&c.phone), quoted(&c.company),
                    quoted(&c.gender), quoted(&c.birth_date.map(|d| d.to_string())),
                    quoted(&c.address_line), quoted(&c.postal_code), quoted(&c.city),
                    quoted(&c.country), c.latitude.unwrap_or_default(),
                    c.longitude.unwrap_or_default(), quoted(&c.language), c.subscriber
                );
                for tag in synthetic_tags(i) {
                    let _ = write!(tags, "{}('{org}','{}','{tag}','{now}')", sep(tags), c.id);
                }
                for permission in synthetic_permissions(i) {
                    let _ = write!(
                        permissions,
                        "{}('{org}','{}','{permission}',true,'{now}','bench')",
                        sep(permissions),
                        c.id
                    );
                }
                let sales = synthetic_sales(&c.id, i, &catalog.event);
                if let Some(first) = sales.first() {
                    let at = stamp(first.ordered_at);
                    let total: i64 = sales.iter().map(|s| s.price_minor).sum();
                    let _ = write!(
                        orders,
                        "{}('{org}','{}','{}','online','paid',{total},'DKK','bench','{at}','{at}')",
                        sep(orders),
                        first.order_id,
                        c.id
                    );
                }
                for sale in &sales {
                    let _ =
                        write!(
                        tickets,
                        "{}('{org}','{}','{}','{}','{}','{}',{},'DKK','{}','VIRTUAL','valid','{}')",
                        sep(tickets), sale.ticket_id, sale.order_id, catalog.event,
                        catalog.ticket_type, c.id, sale.price_minor, sale.ticket_id,
                        stamp(sale.ordered_at)
                    );
                }
            }
            let [customers, tags, permissions, orders, tickets] = &tables;
            let statements = [
                ("customers (organization_id, id, external_id, first_name, last_name, email, phone, company, title, gender, birth_date, address_line, postal_code, city, country, latitude, longitude, language, subscriber, created_at, updated_at)", customers),
                ("customer_tags (organization_id, customer_id, tag, created_at)", tags),
                ("customer_permissions (organization_id, customer_id, permission, granted, changed_at, source)", permissions),
                ("orders (organization_id, id, customer_id, channel, status, total_minor, currency, source, created_at, updated_at)", orders),
                ("tickets (organization_id, id, order_id, event_id, ticket_type_id, customer_id, price_minor, currency, barcode, delivery_type, status, created_at)", tickets),
            ];
            for (table, values) in statements {
                if !values.is_empty() {
                    txn.execute_unprepared(&format!("INSERT INTO {table} VALUES {values}"))
                        .await
                        .map_err(fail)?;
                }
            }
        }
        txn.commit().await.map_err(fail)?;
        start = end;
    }
    Ok(())
}

/// Resets the process's peak resident memory (Linux: `5` to `/proc/self/clear_refs`), so the
/// next [`peak_rss_mib`] is the peak since now.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory (`VmHWM`) in MiB; 0 where `/proc` has no such line.
pub fn peak_rss_mib() -> f64 {
    rss_line("VmHWM:")
}

/// The process's resident memory now (`VmRSS`) in MiB.
pub fn rss_mib() -> f64 {
    rss_line("VmRSS:")
}

fn rss_line(name: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One measured export.
struct Measured {
    seconds: f64,
    peak_mib: f64,
    file_mib: f64,
}

impl Measured {
    fn print(&self, label: &str, customers: usize, target: Option<f64>) {
        let rate = customers as f64 / self.seconds.max(1e-9);
        let verdict = match target {
            Some(target) if rate >= target => format!(" (target ≥ {target:.0}/s: met)"),
            Some(target) => format!(" (target ≥ {target:.0}/s: MISSED)"),
            None => String::new(),
        };
        println!(
            "{label}: {customers} customers in {:.2} s = {rate:.0} customers/s{verdict}; peak RSS {:.0} MiB; file {:.1} MiB",
            self.seconds, self.peak_mib, self.file_mib
        );
    }
}

async fn measure_export(
    db: &Db,
    org: &OrgId,
    ids: &[u128],
    kind: ExportKind,
    format: ExportFormat,
) -> BenchResult<Measured> {
    let conventions = conventions(db, org, Lang::Da).await.map_err(fail)?;
    let facts = FactsService::new(db.clone());
    reset_peak_rss();
    let started = Instant::now();
    let mut export = Export::new(kind, format, conventions, ids.to_vec()).map_err(fail)?;
    while export.next_page(&facts, org).await.map_err(fail)? {}
    if export.written() != ids.len() as u64 {
        return Err(format!(
            "{} customers written, not {}",
            export.written(),
            ids.len()
        ));
    }
    let file = export.finish().await.map_err(fail)?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(file.path()).map_err(fail)?.len();
    Ok(Measured {
        seconds,
        peak_mib: peak_rss_mib(),
        file_mib: bytes as f64 / (1024.0 * 1024.0),
    })
}

/// The floor: the bare crates writing the same rows, generated in memory (no database, no
/// neutralization, no temporary-file handling of ours).
fn measure_reference(n: usize, kind: ExportKind, format: ExportFormat) -> BenchResult<Measured> {
    let conventions = crate::jobs::export_rows::Conventions {
        lang: Lang::Da,
        currency: "DKK".into(),
        zone: chrono_tz::Europe::Copenhagen,
    };
    let mut rows = RowFormat::new(kind, conventions);
    let headers = rows.headers();
    let dir = tempfile::tempdir().map_err(fail)?;
    let path = dir.path().join("reference");
    reset_peak_rss();
    let started = Instant::now();
    let mut each_row = |write: &mut dyn FnMut(u32, &[String]) -> BenchResult<()>| {
        write(0, &headers)?;
        for i in 0..n {
            let customer = synthetic_customer("org", i);
            let sales = synthetic_sales(&customer.id, i, "evt");
            let sales: Vec<&SaleFacts> = sales.iter().collect();
            let row = rows.row(&CustomerLine {
                customer: &customer,
                tags: &synthetic_tags(i),
                permissions: &synthetic_permissions(i),
                purchases: &Purchases::of(&sales),
            });
            write(i as u32 + 1, row)?;
        }
        Ok::<(), String>(())
    };
    match format {
        ExportFormat::Csv => {
            let file = std::fs::File::create(&path).map_err(fail)?;
            let mut writer = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(std::io::BufWriter::new(file));
            each_row(&mut |_, row| writer.write_record(row).map_err(fail))?;
            writer.flush().map_err(fail)?;
        }
        ExportFormat::Xlsx => {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook
                .add_worksheet_with_constant_memory()
                .map_err(fail)?;
            each_row(&mut |r, row| {
                for (c, cell) in row.iter().enumerate() {
                    if !cell.is_empty() {
                        sheet.write_string(r, c as u16, cell).map_err(fail)?;
                    }
                }
                Ok(())
            })?;
            workbook.save(&path).map_err(fail)?;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path).map_err(fail)?.len();
    Ok(Measured {
        seconds,
        peak_mib: peak_rss_mib(),
        file_mib: bytes as f64 / (1024.0 * 1024.0),
    })
}

/// Runs the bench on SQLite in `dir`, then on a fresh PostgreSQL database when `postgres` (an
/// admin URL whose user may create databases) is given.
pub async fn run(customers: usize, dir: &Path, postgres: Option<&str>) -> BenchResult<()> {
    println!(
        "export bench: {customers} customers (tags, permissions, one in four with an order of two tickets); Danish conventions (`;`, decimal comma)"
    );
    for kind in [ExportKind::Customers, ExportKind::CustomerList] {
        for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
            measure_reference(customers, kind, format)?.print(
                &format!(
                    "reference (bare crate, rows from memory) {} {format:?}",
                    kind.slug()
                ),
                customers,
                None,
            );
        }
    }
    let sqlite = format!("sqlite://{}", dir.join("export-bench.db").display());
    on_database(&sqlite, "SQLite", customers).await?;
    let Some(admin_url) = postgres else {
        println!("PostgreSQL: skipped (no --postgres-url)");
        return Ok(());
    };
    let admin = Db::connect(admin_url).await.map_err(fail)?;
    let name = format!("fullhouse_bench_export_{}", std::process::id());
    admin
        .writer()
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(fail)?;
    let outcome = on_database(&with_database(admin_url, &name), "PostgreSQL", customers).await;
    let _ = admin
        .writer()
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
    outcome
}

async fn on_database(url: &str, label: &str, customers: usize) -> BenchResult<()> {
    let db = Db::connect(url).await.map_err(fail)?;
    db.migrate(fullhouse_core::module::migrations_with_core(&[
        &fullhouse_ticketing::Ticketing,
        &crate::Segments,
    ]))
    .await
    .map_err(fail)?;
    let org = TenancyService::new(db.clone())
        .create_organization(NewOrganization {
            name: "Export bench".into(),
            slug: "export-bench".into(),
            default_language: "da".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .map_err(fail)?;
    let started = Instant::now();
    load(&db, &org.id, customers).await?;
    println!(
        "{label}: loaded {customers} customers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let ids: Vec<u128> = (0..customers)
        .map(|i| ulid::Ulid::from_parts(ID_MS, i as u128).0)
        .collect();
    for kind in [ExportKind::Customers, ExportKind::CustomerList] {
        for (format, target) in [
            (ExportFormat::Csv, CSV_TARGET),
            (ExportFormat::Xlsx, XLSX_TARGET),
        ] {
            if format == ExportFormat::Xlsx && customers > crate::jobs::export::XLSX_MAX_CUSTOMERS {
                println!(
                    "{label} {} XLSX: skipped (more customers than a sheet holds)",
                    kind.slug()
                );
                continue;
            }
            measure_export(&db, &org.id, &ids, kind, format)
                .await?
                .print(
                    &format!("{label} {} {format:?}", kind.slug()),
                    customers,
                    Some(target),
                );
        }
    }
    Ok(())
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
