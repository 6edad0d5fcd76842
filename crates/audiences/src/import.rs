//! Importing an uploaded file into an audience, all or nothing.
//!
//! Two passes over the stored file. The first reads and checks every row (code, quantity,
//! category, seat, customer; duplicates within the file and against the audience) and collects
//! every problem with its row, column and value, plus a rejected-rows file. Only a clean file gets
//! the second pass, which reads it again and inserts in one transaction with multi-row INSERTs.
//! Two passes keep memory flat for a file of millions of rows (nothing is held but the codes'
//! keys), and keep the write transaction — on SQLite, the one write connection — short and free
//! of anything but inserts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::Utc;
use fullhouse_core::error::FieldError;
use fullhouse_core::ids::OrgId;
use fullhouse_core::jobs::JobContext;
use fullhouse_core::tabular::{
    ColumnMap, HeaderRows, Layout, Preview, Problems, RejectedRows, Row, TableReader,
};
use fullhouse_core::{Backend, Db, Error, Result};
use fullhouse_ticketing::service::references;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::model::*;
use crate::service::{
    find_audience, insert_audience, name_conflict_error, new_audience_row, AudienceService,
    MemberRules,
};
use crate::store::{self, audience_members, MemberRow};

/// How to read the file: which rows are headers, which column is which field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadChoices {
    /// `"auto"` (default) or `{"count": n}`: the n first rows are headers ("ignore header rows").
    #[serde(default)]
    pub header_rows: HeaderRows,
    /// One entry per column: `code`, `quantity`, `category`, `seat`, `customer` or `ignore`.
    /// Absent: mapped from the header names (or by position without a header).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

/// Where the rows go.
#[derive(Debug, Clone)]
pub enum ImportInto {
    New(NewAudience),
    Existing(AudienceId),
}

/// A refused import: every problem, and the bad rows with their reasons as a CSV.
#[derive(Debug)]
pub struct Refused {
    pub error: Error,
    /// Rows with errors.
    pub bad_rows: u64,
    pub rejected_rows_csv: Option<Vec<u8>>,
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Refused {
            error,
            bad_rows: 0,
            rejected_rows_csv: None,
        }
    }
}

/// The preview of a stored upload with these choices.
pub async fn preview(path: PathBuf, choices: ReadChoices) -> Result<Preview> {
    run_blocking(move || {
        let (mut reader, layout, map) = open(&path, &choices)?;
        Preview::build(&mut reader, &layout, &map, &MEMBER_FIELDS)
    })
    .await
}

fn open(path: &Path, choices: &ReadChoices) -> Result<(TableReader, Layout, ColumnMap)> {
    let mut reader = TableReader::open(path)?;
    let layout = reader.layout(choices.header_rows, &MEMBER_FIELDS);
    let map = match &choices.columns {
        Some(columns) => ColumnMap::from_choices(columns, &MEMBER_FIELDS)?,
        None => layout.automatic_map(&MEMBER_FIELDS),
    };
    Ok((reader, layout, map))
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::internal(format!("the import stopped: {e}")))?
}

/// The result of the checking pass over a clean file.
struct Checked {
    rows: u64,
    customers: HashMap<String, String>,
}

/// Imports the file at `path`; all or nothing. Returns the audience and how many members it got.
pub async fn import(
    service: &AudienceService,
    org: &OrgId,
    into: ImportInto,
    path: PathBuf,
    choices: ReadChoices,
    job: Option<&JobContext>,
) -> std::result::Result<(Audience, u64), Refused> {
    let db = service.db().clone();
    let (rules, existing_keys) = match &into {
        ImportInto::New(new) => {
            check_name(&new.name).map_err(|e| Error::invalid_fields(vec![e]))?;
            let known = if new.venue_id.is_some() || !new.event_ids.is_empty() {
                Some(
                    references::known_names(&db, org, new.venue_id.as_ref(), &new.event_ids)
                        .await?,
                )
            } else {
                None
            };
            (MemberRules::with_known(known), Vec::new())
        }
        ImportInto::Existing(id) => {
            let audience = find_audience(db.reader(), org, id).await?;
            let rules = MemberRules::for_audience(&db, org, &audience).await?;
            (rules, existing_code_keys(&db, org, id).await?)
        }
    };
    let started = std::time::Instant::now();
    let checked = check_pass(&db, org, &path, &choices, rules, existing_keys, job).await?;
    let checked_after = started.elapsed();
    let audience = insert_pass(&db, org, into, &path, &choices, checked.customers, job).await?;
    tracing::info!(
        rows = checked.rows,
        check_seconds = checked_after.as_secs_f64(),
        insert_seconds = (started.elapsed() - checked_after).as_secs_f64(),
        "audience import finished"
    );
    let audience = service.get(org, &audience).await?;
    Ok((audience, checked.rows))
}

async fn existing_code_keys(db: &Db, org: &OrgId, audience: &AudienceId) -> Result<Vec<String>> {
    Ok(audience_members::Entity::find()
        .select_only()
        .column(audience_members::Column::CodeKey)
        .filter(audience_members::Column::OrganizationId.eq(org.as_str()))
        .filter(audience_members::Column::AudienceId.eq(audience.as_str()))
        .into_tuple()
        .all(db.reader())
        .await?)
}

/// Rows per progress report and per customer lookup.
const CHUNK: usize = 5_000;

/// Pass one: every row checked, every problem kept.
async fn check_pass(
    db: &Db,
    org: &OrgId,
    path: &Path,
    choices: &ReadChoices,
    rules: MemberRules,
    existing_keys: Vec<String>,
    job: Option<&JobContext>,
) -> std::result::Result<Checked, Refused> {
    let (progress, mut reports) = mpsc::channel::<u64>(16);
    let (path, choices) = (path.to_path_buf(), choices.clone());
    let (db, org) = (db.clone(), org.clone());
    let handle = tokio::runtime::Handle::current();
    let checking = tokio::task::spawn_blocking(move || {
        check_rows(
            &handle,
            &db,
            &org,
            &path,
            &choices,
            &rules,
            existing_keys,
            &progress,
        )
    });
    while let Some(done) = reports.recv().await {
        if let Some(job) = job {
            let message = format!("checked {done} rows");
            job.progress(
                i64::try_from(done).unwrap_or(i64::MAX),
                None,
                Some(&message),
            )
            .await?;
        }
    }
    checking
        .await
        .map_err(|e| Error::internal(format!("the import stopped: {e}")))?
}

#[allow(clippy::too_many_arguments)]
fn check_rows(
    handle: &tokio::runtime::Handle,
    db: &Db,
    org: &OrgId,
    path: &Path,
    choices: &ReadChoices,
    rules: &MemberRules,
    existing_keys: Vec<String>,
    progress: &mpsc::Sender<u64>,
) -> std::result::Result<Checked, Refused> {
    let (mut reader, layout, map) = open(path, choices)?;
    map.require(&MEMBER_FIELDS)?;
    let mut problems = Problems::new();
    let delimiter = reader.delimiter.unwrap_or(b',');
    let mut rejects = RejectedRows::new(&layout.headers, delimiter)?;
    // The row each code key was first seen on (0: already in the audience).
    let mut seen: HashMap<String, u64> = existing_keys.into_iter().map(|k| (k, 0)).collect();
    let mut customers = HashMap::new();
    let mut rows = 0u64;
    let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK);
    let column = |field: &str| {
        map.column(field)
            .map(|c| layout.column_name(c))
            .unwrap_or_else(|| field.to_string())
    };
    let mut check_chunk = |chunk: &mut Vec<Row>,
                           problems: &mut Problems,
                           rejects: &mut RejectedRows|
     -> Result<()> {
        let references: Vec<String> = chunk
            .iter()
            .filter_map(|row| map.get(row, "customer"))
            .filter(|r| !customers.contains_key(&lookup_key(r)))
            .map(str::to_string)
            .collect();
        if !references.is_empty() {
            let found = handle.block_on(references::resolve_customers(db, org, &references))?;
            customers.extend(found);
        }
        for row in chunk.drain(..) {
            let mut errors: Vec<FieldError> = Vec::new();
            let mut error = |field: &str, reason: String| {
                let value = map.get(&row, field).unwrap_or_default().to_string();
                errors
                    .push(FieldError::at_row(row.number, column(field), reason).with_value(value));
            };
            let quantity = parse_quantity(map.get(&row, "quantity").unwrap_or_default());
            match rules.check(
                map.get(&row, "code").unwrap_or_default(),
                quantity,
                map.get(&row, "category"),
                map.get(&row, "seat"),
            ) {
                Ok(member) => match seen.get(&member.code_key) {
                    Some(0) => error(
                        "code",
                        format!("code {} is already in this audience", member.code),
                    ),
                    Some(first) => error(
                        "code",
                        format!(
                            "code {} appears twice in the file (first on row {first})",
                            member.code
                        ),
                    ),
                    None => {
                        seen.insert(member.code_key, row.number);
                    }
                },
                Err(found) => {
                    for (field, reason) in found {
                        error(field, reason);
                    }
                }
            }
            if let Some(reference) = map.get(&row, "customer") {
                if !customers.contains_key(&lookup_key(reference)) {
                    error("customer", format!("no customer `{reference}` in this organization (give a customer id or email)"));
                }
            }
            if !errors.is_empty() {
                rejects.reject(&row, &errors)?;
                for e in errors {
                    problems.push(e);
                }
            }
        }
        Ok(())
    };
    for row in reader.by_ref() {
        match row {
            Ok(row) => chunk.push(row),
            Err(unreadable) => {
                problems.push(unreadable);
                break;
            }
        }
        rows += 1;
        if chunk.len() >= CHUNK {
            check_chunk(&mut chunk, &mut problems, &mut rejects)?;
            let _ = progress.blocking_send(rows);
        }
    }
    check_chunk(&mut chunk, &mut problems, &mut rejects)?;
    let _ = progress.blocking_send(rows);
    if rows == 0 && problems.is_empty() {
        return Err(Error::invalid("file", "has no rows to import").into());
    }
    if !problems.is_empty() {
        let bad_rows = problems.rows();
        let csv = rejects.finish()?;
        return Err(Refused {
            error: problems.into_error(),
            bad_rows,
            rejected_rows_csv: Some(csv),
        });
    }
    Ok(Checked { rows, customers })
}

/// Customer references are looked up by id as given, by email without case.
fn lookup_key(reference: &str) -> String {
    let reference = reference.trim();
    if reference.starts_with("cus_") {
        reference.to_string()
    } else {
        reference.to_lowercase()
    }
}

/// Pass two: the clean file inserted in one transaction.
async fn insert_pass(
    db: &Db,
    org: &OrgId,
    into: ImportInto,
    path: &Path,
    choices: &ReadChoices,
    customers: HashMap<String, String>,
    job: Option<&JobContext>,
) -> Result<AudienceId> {
    let (batches, mut received) = mpsc::channel::<Vec<MemberRow>>(4);
    let (path, choices) = (path.to_path_buf(), choices.clone());
    let reading = tokio::task::spawn_blocking(move || -> Result<()> {
        let (reader, _, map) = open(&path, &choices)?;
        let mut batch = Vec::with_capacity(store::ROWS_PER_INSERT);
        for row in reader {
            let row = row.map_err(|e| Error::invalid_fields(vec![e]))?;
            let code = clean_code(map.get(&row, "code").unwrap_or_default())
                .map_err(|r| Error::invalid("code", r))?;
            let quantity = parse_quantity(map.get(&row, "quantity").unwrap_or_default())
                .map_err(|r| Error::invalid("quantity", r))?;
            batch.push(MemberRow {
                id: MemberId::generate().to_string(),
                code_key: code_key(&code),
                code,
                quantity,
                category: optional_text(map.get(&row, "category")),
                seat_label: optional_text(map.get(&row, "seat")),
                customer_id: map
                    .get(&row, "customer")
                    .and_then(|r| customers.get(&lookup_key(r)).cloned()),
            });
            if batch.len() == store::ROWS_PER_INSERT {
                let full =
                    std::mem::replace(&mut batch, Vec::with_capacity(store::ROWS_PER_INSERT));
                if batches.blocking_send(full).is_err() {
                    return Ok(());
                }
            }
        }
        if !batch.is_empty() {
            let _ = batches.blocking_send(batch);
        }
        Ok(())
    });
    if let Some(pool) = db.postgres_pool() {
        let audience = copy_members(pool, db, org, into, received, job).await?;
        reading
            .await
            .map_err(|e| Error::internal(format!("the import stopped: {e}")))??;
        return Ok(audience);
    }
    let txn = db.begin_write().await?;
    let audience = match into {
        ImportInto::New(new) => insert_audience(&txn, db, org, new, AudienceSource::Upload).await?,
        ImportInto::Existing(id) => id,
    };
    let full_sql = store::insert_members_sql(txn.get_database_backend(), store::ROWS_PER_INSERT);
    let now = Utc::now();
    let mut inserted = 0i64;
    while let Some(batch) = received.recv().await {
        store::insert_members(
            &txn,
            org.as_str(),
            audience.as_str(),
            &batch,
            &full_sql,
            now,
        )
        .await?;
        inserted += batch.len() as i64;
        // On SQLite this transaction holds the one write connection a progress write would need.
        if let (Some(job), Backend::Postgres) = (job, db.backend()) {
            job.progress(inserted, None, Some(&format!("imported {inserted} rows")))
                .await?;
        }
    }
    reading
        .await
        .map_err(|e| Error::internal(format!("the import stopped: {e}")))??;
    txn.commit().await?;
    Ok(audience)
}

/// PostgreSQL's fast path: the audience row and `COPY` of the members in one transaction.
async fn copy_members(
    pool: &sqlx::PgPool,
    db: &Db,
    org: &OrgId,
    into: ImportInto,
    mut received: mpsc::Receiver<Vec<MemberRow>>,
    job: Option<&JobContext>,
) -> Result<AudienceId> {
    let database = |e: sqlx::Error| Error::internal(format!("importing members: {e}"));
    let mut txn = pool.begin().await.map_err(database)?;
    let audience = match into {
        ImportInto::New(new) => {
            let row = new_audience_row(db, org, new, AudienceSource::Upload).await?;
            store::insert_audience_pg(&mut txn, &row)
                .await
                .map_err(|e| {
                    let unique = e
                        .as_database_error()
                        .and_then(|d| d.code())
                        .is_some_and(|code| code == "23505");
                    if unique {
                        name_conflict_error()
                    } else {
                        database(e)
                    }
                })?;
            AudienceId::from_db(row.id)
        }
        ImportInto::Existing(id) => id,
    };
    let now = Utc::now().to_rfc3339();
    let mut copy = txn
        .copy_in_raw(&store::copy_members_sql())
        .await
        .map_err(database)?;
    let mut buffer = String::with_capacity(1 << 20);
    let mut copied = 0i64;
    while let Some(batch) = received.recv().await {
        buffer.clear();
        for row in &batch {
            store::copy_line(&mut buffer, org.as_str(), audience.as_str(), row, &now);
        }
        copy.send(buffer.as_bytes()).await.map_err(database)?;
        copied += batch.len() as i64;
        if let Some(job) = job {
            job.progress(copied, None, Some(&format!("imported {copied} rows")))
                .await?;
        }
    }
    copy.finish().await.map_err(|e| {
        let unique = e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| code == "23505");
        if unique {
            Error::conflict(
                "code",
                "a code of the file was added to the audience while the file was imported; import it again",
            )
        } else {
            database(e)
        }
    })?;
    txn.commit().await.map_err(database)?;
    Ok(audience)
}
