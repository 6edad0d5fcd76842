//! `fullhouse bench audience-import`: rows per second of an audience upload, end to end (read,
//! check every row, insert all or nothing), on SQLite and on PostgreSQL, each printed beside a
//! raw bulk load of the same rows into the same table in the same run — one multi-row-INSERT
//! transaction on SQLite, `COPY` on PostgreSQL — and the ratio.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use chrono::Utc;
use fullhouse_core::ids::OrgId;
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Backend, Db};
use sea_orm::ConnectionTrait;

use crate::import::{self, ImportInto, ReadChoices};
use crate::model::{code_key, AudienceSource, MemberId, NewAudience};
use crate::service::AudienceService;
use crate::store::{self, MemberRow};

pub type BenchResult<T> = Result<T, String>;

pub fn fail(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

/// Runs the benchmark with `codes` rows: on SQLite in `dir`, and on PostgreSQL when
/// `postgres_admin_url` (a server URL whose user may create databases) is given.
pub async fn run(codes: usize, dir: &Path, postgres_admin_url: Option<&str>) -> BenchResult<()> {
    let file = dir.join("codes.csv");
    write_codes(&file, codes).map_err(fail)?;
    let size = std::fs::metadata(&file).map_err(fail)?.len();
    println!(
        "file: {codes} rows (Code;Quantity;Category), {:.1} MB, semicolon-separated UTF-8",
        size as f64 / 1e6
    );
    let sqlite_url = format!("sqlite://{}", dir.join("bench.db").display());
    one_backend(&sqlite_url, &file, codes).await?;
    if let Some(admin) = postgres_admin_url {
        let database = ScratchPostgres::create(admin, "import").await?;
        let outcome = one_backend(&database.url, &file, codes).await;
        database.drop().await;
        outcome?;
    }
    Ok(())
}

/// A PostgreSQL database made for one benchmark run and dropped after it.
pub struct ScratchPostgres {
    admin: sea_orm::DatabaseConnection,
    name: String,
    pub url: String,
}

impl ScratchPostgres {
    pub async fn create(admin_url: &str, purpose: &str) -> BenchResult<ScratchPostgres> {
        let name = format!("fullhouse_bench_{purpose}_{}", std::process::id());
        let admin = sea_orm::Database::connect(admin_url).await.map_err(fail)?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .map_err(fail)?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(fail)?;
        // The same server and options (`?sslmode=…`), another database.
        let mut url = url::Url::parse(admin_url).map_err(fail)?;
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        Ok(ScratchPostgres { admin, name, url })
    }

    pub async fn drop(self) {
        let _ = self
            .admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

/// An organization for a benchmark.
pub async fn bench_org(db: &Db, slug: &str) -> BenchResult<OrgId> {
    Ok(TenancyService::new(db.clone())
        .create_organization(NewOrganization {
            name: "Bench".into(),
            slug: format!("{slug}-{}", std::process::id()),
            default_language: "en".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .map_err(fail)?
        .id)
}

fn write_codes(path: &Path, codes: usize) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "Code;Quantity;Category")?;
    for i in 0..codes {
        writeln!(out, "VIP-{i:08};{};Parket {}", 1 + i % 4, i % 7)?;
    }
    out.flush()
}

async fn one_backend(url: &str, file: &Path, codes: usize) -> BenchResult<()> {
    let db = Db::connect(url).await.map_err(fail)?;
    db.migrate(crate::all_migrations()).await.map_err(fail)?;
    let org = bench_org(&db, "audience-bench").await?;
    let label = match db.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let service = AudienceService::new(db.clone());
    let started = Instant::now();
    let into = ImportInto::New(NewAudience {
        name: "Bench codes".into(),
        ..NewAudience::default()
    });
    let (audience, rows) = import::import(
        &service,
        &org,
        into,
        file.to_path_buf(),
        ReadChoices::default(),
        None,
    )
    .await
    .map_err(|refused| fail(refused.error))?;
    let import_seconds = started.elapsed().as_secs_f64();
    let import_rate = rows as f64 / import_seconds;
    println!(
        "{label}: audience import (read, check every row, insert all or nothing): {rows} rows in {import_seconds:.2} s = {import_rate:.0} rows/s (target ≥ 200,000 rows/s); {} members stored",
        audience.member_count
    );

    let raw_rows = raw_rows(codes);
    let target = service
        .create_as(
            &org,
            NewAudience {
                name: "Raw load".into(),
                ..NewAudience::default()
            },
            AudienceSource::Blank,
        )
        .await
        .map_err(fail)?;
    let started = Instant::now();
    let reference = match db.backend() {
        Backend::Sqlite => {
            raw_sqlite_load(&db, &org, target.id.as_str(), &raw_rows).await?;
            "one multi-row-INSERT transaction"
        }
        Backend::Postgres => {
            raw_copy(&db, &org, target.id.as_str(), &raw_rows).await?;
            "COPY"
        }
    };
    let raw_seconds = started.elapsed().as_secs_f64();
    let raw_rate = raw_rows.len() as f64 / raw_seconds;
    println!(
        "{label}: raw bulk load of the same rows ({reference}, rows prepared in memory beforehand): {} rows in {raw_seconds:.2} s = {raw_rate:.0} rows/s",
        raw_rows.len()
    );
    println!(
        "{label}: import / raw = {:.2} (target ≥ 0.5)",
        import_rate / raw_rate
    );
    Ok(())
}

fn raw_rows(codes: usize) -> Vec<MemberRow> {
    (0..codes)
        .map(|i| {
            let code = format!("VIP-{i:08}");
            MemberRow {
                id: MemberId::generate().to_string(),
                code_key: code_key(&code),
                code,
                quantity: 1 + (i % 4) as i64,
                category: Some(format!("Parket {}", i % 7)),
                seat_label: None,
                customer_id: None,
            }
        })
        .collect()
}

/// The SQLite reference: the rows in one transaction of multi-row INSERTs, straight through sqlx.
async fn raw_sqlite_load(
    db: &Db,
    org: &OrgId,
    audience: &str,
    rows: &[MemberRow],
) -> BenchResult<()> {
    let pool = db.sqlite_write_pool().ok_or("not SQLite")?;
    let mut txn = pool.begin().await.map_err(fail)?;
    let full = store::insert_members_sql(sea_orm::DbBackend::Sqlite, store::ROWS_PER_INSERT);
    let now = Utc::now();
    for chunk in rows.chunks(store::ROWS_PER_INSERT) {
        let sql = if chunk.len() == store::ROWS_PER_INSERT {
            full.clone()
        } else {
            store::insert_members_sql(sea_orm::DbBackend::Sqlite, chunk.len())
        };
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(org.as_str())
                .bind(&row.id)
                .bind(audience)
                .bind(&row.code)
                .bind(&row.code_key)
                .bind(row.quantity)
                .bind(&row.category)
                .bind(&row.seat_label)
                .bind(&row.customer_id)
                .bind(now)
                .bind(now);
        }
        query.execute(&mut *txn).await.map_err(fail)?;
    }
    txn.commit().await.map_err(fail)?;
    Ok(())
}

/// The PostgreSQL reference: `COPY … FROM STDIN` of the rows as text.
async fn raw_copy(db: &Db, org: &OrgId, audience: &str, rows: &[MemberRow]) -> BenchResult<()> {
    let pool = db.postgres_pool().ok_or("not PostgreSQL")?;
    let mut conn = pool.acquire().await.map_err(fail)?;
    let now = Utc::now().to_rfc3339();
    let mut copy = conn
        .copy_in_raw(&store::copy_members_sql())
        .await
        .map_err(fail)?;
    let mut buffer = String::with_capacity(1 << 20);
    for chunk in rows.chunks(10_000) {
        buffer.clear();
        for row in chunk {
            store::copy_line(&mut buffer, org.as_str(), audience, row, &now);
        }
        copy.send(buffer.as_bytes()).await.map_err(fail)?;
    }
    copy.finish().await.map_err(fail)?;
    Ok(())
}
