//! Importing an uploaded file into an audience, all or nothing, on the platform's import wizard
//! ([`fullhouse_core::import`]): what is the audience's own is here — its fields
//! ([`MEMBER_FIELDS`]), the check of a row (code, quantity, category, seat, customer; duplicates
//! within the file and against the audience) and the insert of the members (multi-row INSERTs,
//! or `COPY` on PostgreSQL, in the one transaction that also creates a new audience).

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::Utc;
use fullhouse_core::ids::OrgId;
use fullhouse_core::import::{
    self as wizard, Batches, Columns, ImportMode, ImportTarget, Rejection, RowCheck, Verdict,
};
use fullhouse_core::jobs::JobContext;
use fullhouse_core::tabular::{FieldSpec, Preview, Row};
use fullhouse_core::{Db, Error, Msg, Reason, Result};
use fullhouse_ticketing::service::references;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::model::*;
use crate::service::{
    find_audience, insert_audience, name_conflict_error, new_audience_row, AudienceService,
    MemberRules,
};
use crate::store::{self, audience_members, MemberRow};

pub use fullhouse_core::import::{ReadChoices, Refused};

/// Where the rows go.
#[derive(Debug, Clone)]
pub enum ImportInto {
    New(NewAudience),
    Existing(AudienceId),
}

/// The preview of an upload as an audience import reads it; the file is read once per upload
/// and header choice (see [`fullhouse_core::import::preview`]).
pub async fn preview_upload(
    db: &Db,
    files: &fullhouse_core::files::FileStore,
    org: &OrgId,
    upload: &fullhouse_core::uploads::UploadId,
    choices: &ReadChoices,
) -> Result<Preview> {
    wizard::preview(db, files, org, upload, choices, &MEMBER_FIELDS).await
}

/// An import into one audience.
pub struct AudienceImport {
    service: AudienceService,
    org: OrgId,
    into: ImportInto,
}

impl AudienceImport {
    pub fn new(service: AudienceService, org: OrgId, into: ImportInto) -> AudienceImport {
        AudienceImport { service, org, into }
    }
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
    let target = AudienceImport::new(service.clone(), org.clone(), into);
    let imported = wizard::run(&target, service.db(), &path, &choices, job).await?;
    let audience = service.get(org, &imported.written).await?;
    Ok((audience, imported.rows))
}

#[async_trait::async_trait]
impl ImportTarget for AudienceImport {
    type Value = MemberRow;
    type Check = MemberCheck;
    type Written = AudienceId;

    fn fields(&self) -> &'static [FieldSpec] {
        &MEMBER_FIELDS
    }

    fn mode(&self) -> ImportMode {
        ImportMode::AllOrNothing
    }

    fn batch_rows(&self) -> usize {
        store::ROWS_PER_INSERT
    }

    async fn check(&self) -> Result<MemberCheck> {
        let db = self.service.db().clone();
        let org = &self.org;
        let (rules, existing_keys) = match &self.into {
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
        Ok(MemberCheck {
            db,
            org: org.clone(),
            rules,
            seen: existing_keys.into_iter().map(|k| (k, 0)).collect(),
            customers: HashMap::new(),
        })
    }

    async fn write(&self, rows: Batches<'_, MemberRow>) -> Result<AudienceId> {
        let db = self.service.db();
        if let Some(pool) = db.postgres_pool() {
            return copy_members(pool, db, &self.org, self.into.clone(), rows).await;
        }
        insert_members(db, &self.org, self.into.clone(), rows).await
    }

    fn link(&self, written: &AudienceId) -> Option<String> {
        Some(format!("/audiences/{written}"))
    }

    async fn finished(&self, written: &AudienceId, rows: u64) -> Result<Reason> {
        let audience = self.service.get(&self.org, written).await?;
        Ok(Msg::new("engine-audience-imported")
            .num("rows", rows)
            .arg("audience", audience.name)
            .into())
    }
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

/// The check of an audience's rows, and what it learned for the insert: the customers found.
pub struct MemberCheck {
    db: Db,
    org: OrgId,
    rules: MemberRules,
    /// The row each code key was first seen on (0: already in the audience).
    seen: HashMap<String, u64>,
    customers: HashMap<String, String>,
}

#[async_trait::async_trait]
impl RowCheck for MemberCheck {
    type Value = MemberRow;

    async fn check(&mut self, columns: &Columns, rows: &[Row]) -> Result<Vec<Verdict>> {
        let references: Vec<String> = rows
            .iter()
            .filter_map(|row| columns.get(row, "customer"))
            .filter(|r| !self.customers.contains_key(&lookup_key(r)))
            .map(str::to_string)
            .collect();
        if !references.is_empty() {
            let found = references::resolve_customers(&self.db, &self.org, &references).await?;
            self.customers.extend(found);
        }
        Ok(rows
            .iter()
            .map(|row| self.check_row(columns, row))
            .collect())
    }

    fn value(&self, columns: &Columns, row: &Row) -> Result<MemberRow> {
        let code = clean_code(columns.get(row, "code").unwrap_or_default())
            .map_err(|r| Error::invalid("code", r))?;
        let quantity = parse_quantity(columns.get(row, "quantity").unwrap_or_default())
            .map_err(|r| Error::invalid("quantity", r))?;
        Ok(MemberRow {
            id: MemberId::generate().to_string(),
            code_key: code_key(&code),
            code,
            quantity,
            category: optional_text(columns.get(row, "category")),
            seat_label: optional_text(columns.get(row, "seat")),
            customer_id: columns
                .get(row, "customer")
                .and_then(|r| self.customers.get(&lookup_key(r)).cloned()),
        })
    }
}

impl MemberCheck {
    fn check_row(&mut self, columns: &Columns, row: &Row) -> Verdict {
        let mut errors = Vec::new();
        let quantity = parse_quantity(columns.get(row, "quantity").unwrap_or_default());
        match self.rules.check(
            columns.get(row, "code").unwrap_or_default(),
            quantity,
            columns.get(row, "category"),
            columns.get(row, "seat"),
        ) {
            Ok(member) => match self.seen.get(&member.code_key) {
                Some(0) => errors.push(Rejection::new(
                    "code",
                    Msg::new("engine-code-in-audience").arg("code", &member.code),
                )),
                Some(first) => errors.push(Rejection::new(
                    "code",
                    Msg::new("engine-code-twice-in-file")
                        .arg("code", &member.code)
                        .num("first", *first),
                )),
                None => {
                    self.seen.insert(member.code_key, row.number);
                }
            },
            Err(found) => {
                errors.extend(
                    found
                        .into_iter()
                        .map(|(field, reason)| Rejection::new(field, reason)),
                );
            }
        }
        if let Some(reference) = columns.get(row, "customer") {
            if !self.customers.contains_key(&lookup_key(reference)) {
                errors.push(Rejection::new(
                    "customer",
                    Msg::new("engine-no-such-customer").arg("reference", reference),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
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

/// The members inserted with multi-row INSERTs, in the transaction that creates a new audience.
async fn insert_members(
    db: &Db,
    org: &OrgId,
    into: ImportInto,
    mut batches: Batches<'_, MemberRow>,
) -> Result<AudienceId> {
    let txn = db.begin_write().await?;
    let audience = match into {
        ImportInto::New(new) => insert_audience(&txn, db, org, new, AudienceSource::Upload).await?,
        ImportInto::Existing(id) => id,
    };
    let full_sql = store::insert_members_sql(txn.get_database_backend(), store::ROWS_PER_INSERT);
    let now = Utc::now();
    while let Some(batch) = batches.next().await? {
        store::insert_members(
            &txn,
            org.as_str(),
            audience.as_str(),
            &batch,
            &full_sql,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(audience)
}

/// PostgreSQL's fast path: the audience row and `COPY` of the members in one transaction.
async fn copy_members(
    pool: &sqlx::PgPool,
    db: &Db,
    org: &OrgId,
    into: ImportInto,
    mut batches: Batches<'_, MemberRow>,
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
    while let Some(batch) = batches.next().await? {
        buffer.clear();
        for row in &batch {
            store::copy_line(&mut buffer, org.as_str(), audience.as_str(), row, &now);
        }
        copy.send(buffer.as_bytes()).await.map_err(database)?;
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
