//! Customers: create, read, change, consents and tags; GDPR export and erasure; bulk JSON ingest
//! and CSV import. One write transaction per operation, and every change to a customer records a
//! `customer.changed` domain event in that transaction.

mod browse;
mod bulk_tags;

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use fullhouse_core::events;
use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::tenancy::service::{record_audit, required};
use fullhouse_core::{Caller, Db, Error, FieldError, OrgId, Result};
use sea_orm::sea_query::{Alias, Expr, Func, LikeExpr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    Iterable, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::{conflict_on, fetch_page, OrderService};
use crate::import::customers::parse_customer_file;
use crate::model::customers::*;
use crate::model::ids::*;
use crate::model::orders::{Order, OrderFilter};
use crate::outbox::{CustomerChange, CustomerChanged};
use crate::store::{customer_permissions, customer_tags, customers, orders, tickets};

/// Bind parameters per statement: well under SQLite's 32,766 and PostgreSQL's 65,535, so a
/// multi-row insert of any table stays one statement per few hundred rows.
const MAX_PARAMS: usize = 15_000;
/// Ids per `IN (…)` list.
const IN_CHUNK: usize = 500;

#[derive(Clone)]
pub struct CustomerService {
    db: Db,
}

impl CustomerService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn create(&self, org: &OrgId, new: NewCustomer) -> Result<Customer> {
        let valid = new.validate("api").map_err(Error::invalid_fields)?;
        let id = CustomerId::generate();
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        customers::Entity::insert(row_of(org, id.as_str(), &valid.profile, now))
            .exec_without_returning(&txn)
            .await
            .map_err(external_id_taken(&valid.profile))?;
        let source = valid.permission_source.clone();
        write_permissions(
            &txn,
            org,
            permission_writes(id.as_str(), &valid, &source),
            now,
        )
        .await?;
        add_tags(&txn, org, tag_pairs(id.as_str(), &valid), now).await?;
        record_change(&txn, org, &id, CustomerChange::Created).await?;
        let customer = load_one(&txn, org, &id).await?;
        txn.commit().await?;
        Ok(customer)
    }

    /// A page of customers, oldest first, with their consents and tags (two queries per page,
    /// whatever its size).
    pub async fn list(&self, org: &OrgId, query: &CustomerQuery) -> Result<Page<Customer>> {
        let select = browse::matching(org, query)?;
        let page = fetch_page(
            self.db.reader(),
            select,
            customers::Column::Id,
            &query.page(),
            |m| m.id.clone(),
        )
        .await?;
        let next_cursor = page.next_cursor;
        let items = load(self.db.reader(), org, page.items).await?;
        Ok(Page { items, next_cursor })
    }

    /// The customers of `ids` that are the organization's (unknown ids are left out), read 500
    /// at a time: for reports that name the buyers of many orders.
    pub async fn customers_by_id(&self, org: &OrgId, ids: &[CustomerId]) -> Result<Vec<Customer>> {
        let conn = self.db.reader();
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let rows = customers::Entity::find()
                .filter(customers::Column::OrganizationId.eq(org.as_str()))
                .filter(customers::Column::Id.is_in(chunk.iter().map(|id| id.as_str())))
                .all(conn)
                .await?;
            found.extend(load(conn, org, rows).await?);
        }
        Ok(found)
    }

    pub async fn customer(&self, org: &OrgId, id: &CustomerId) -> Result<Customer> {
        load_one(self.db.reader(), org, id).await
    }

    pub async fn update(
        &self,
        org: &OrgId,
        id: &CustomerId,
        patch: CustomerPatch,
    ) -> Result<Customer> {
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let found = find_row(&txn, org, id).await?;
        let valid = patch
            .apply_to(profile_of(&found), "api")
            .map_err(Error::invalid_fields)?;
        let mut active = row_of(org, id.as_str(), &valid.profile, now);
        active.created_at = Set(found.created_at);
        active
            .update(&txn)
            .await
            .map_err(external_id_taken(&valid.profile))?;
        let source = valid.permission_source.clone();
        write_permissions(
            &txn,
            org,
            permission_writes(id.as_str(), &valid, &source),
            now,
        )
        .await?;
        if let Some(tags) = &valid.tags {
            replace_tags(&txn, org, id.as_str(), tags, now).await?;
        }
        record_change(&txn, org, id, CustomerChange::Updated).await?;
        let customer = load_one(&txn, org, id).await?;
        txn.commit().await?;
        Ok(customer)
    }

    /// GDPR erasure. A customer with sales history keeps an anonymous row so the accounts still
    /// add up; one without is deleted. Either way consents and tags go, and the audit log says
    /// who did it.
    pub async fn erase(&self, caller: &Caller, id: &CustomerId) -> Result<Erasure> {
        let org = &caller.org;
        let txn = self.db.begin_write().await?;
        let found = find_row(&txn, org, id).await?;
        customer_permissions::Entity::delete_many()
            .filter(customer_permissions::Column::OrganizationId.eq(org.as_str()))
            .filter(customer_permissions::Column::CustomerId.eq(id.as_str()))
            .exec(&txn)
            .await?;
        customer_tags::Entity::delete_many()
            .filter(customer_tags::Column::OrganizationId.eq(org.as_str()))
            .filter(customer_tags::Column::CustomerId.eq(id.as_str()))
            .exec(&txn)
            .await?;
        let outcome = if has_sales(&txn, org, id).await? {
            let mut anonymous = row_of(org, id.as_str(), &Profile::default(), Utc::now());
            anonymous.created_at = Set(found.created_at);
            anonymous.update(&txn).await?;
            ErasureOutcome::Anonymized
        } else {
            customers::Entity::delete_by_id((org.to_string(), id.to_string()))
                .exec(&txn)
                .await?;
            ErasureOutcome::Deleted
        };
        let details = json!({ "outcome": outcome });
        record_audit(&txn, caller, "customer.erased", id.as_str(), details).await?;
        record_change(&txn, org, id, CustomerChange::Erased).await?;
        txn.commit().await?;
        Ok(Erasure {
            id: id.clone(),
            outcome,
        })
    }

    /// GDPR data export: the customer, consents, tags, orders and tickets. The export itself is
    /// written to the audit log, since it hands personal data to whoever asked.
    pub async fn export(&self, caller: &Caller, id: &CustomerId) -> Result<CustomerExport> {
        let org = &caller.org;
        let reader = self.db.reader();
        let customer = load_one(reader, org, id).await?;
        let orders = self.orders_of(org, id).await?;
        let txn = self.db.begin_write().await?;
        record_audit(&txn, caller, "customer.exported", id.as_str(), json!({})).await?;
        txn.commit().await?;
        Ok(CustomerExport {
            customer,
            orders,
            exported_at: Utc::now(),
        })
    }

    /// Every order of a customer, with tickets, read through the orders service page by page.
    async fn orders_of(&self, org: &OrgId, id: &CustomerId) -> Result<Vec<Order>> {
        let service = OrderService::new(self.db.clone());
        let filter = OrderFilter {
            customer_id: Some(id.clone()),
            event_id: None,
        };
        let mut params = PageParams {
            cursor: None,
            limit: Some(PageParams::MAX_LIMIT),
        };
        let mut all = Vec::new();
        loop {
            let page = service.list_orders(org, &filter, &params).await?;
            all.extend(page.items);
            match page.next_cursor {
                Some(cursor) => params.cursor = Some(cursor),
                None => return Ok(all),
            }
        }
    }

    /// Sets one consent. Always recorded with the time and source, even when the value does
    /// not change: a renewed consent is evidence too.
    pub async fn set_permission(
        &self,
        org: &OrgId,
        id: &CustomerId,
        permission: &str,
        change: PermissionChange,
    ) -> Result<Customer> {
        let permission = key("permission", permission)?;
        let source = required("source", &change.source)?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        find_row(&txn, org, id).await?;
        let write = PermissionWrite {
            customer_id: id.to_string(),
            permission,
            granted: change.granted,
            source,
        };
        upsert_permissions(&txn, org, vec![write], now).await?;
        touch(&txn, org, id, now).await?;
        record_change(&txn, org, id, CustomerChange::Updated).await?;
        let customer = load_one(&txn, org, id).await?;
        txn.commit().await?;
        Ok(customer)
    }

    /// Adds a tag; adding one the customer has changes nothing.
    pub async fn add_tag(&self, org: &OrgId, id: &CustomerId, tag: &str) -> Result<Customer> {
        let tag = key("tag", tag)?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        find_row(&txn, org, id).await?;
        if add_tags(&txn, org, vec![(id.to_string(), tag)], now).await? > 0 {
            touch(&txn, org, id, now).await?;
            record_change(&txn, org, id, CustomerChange::Updated).await?;
        }
        let customer = load_one(&txn, org, id).await?;
        txn.commit().await?;
        Ok(customer)
    }

    /// Removes a tag; removing one the customer does not have changes nothing.
    pub async fn remove_tag(&self, org: &OrgId, id: &CustomerId, tag: &str) -> Result<()> {
        let tag = key("tag", tag)?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        find_row(&txn, org, id).await?;
        let removed = customer_tags::Entity::delete_many()
            .filter(customer_tags::Column::OrganizationId.eq(org.as_str()))
            .filter(customer_tags::Column::CustomerId.eq(id.as_str()))
            .filter(customer_tags::Column::Tag.eq(tag))
            .exec(&txn)
            .await?;
        if removed.rows_affected > 0 {
            touch(&txn, org, id, now).await?;
            record_change(&txn, org, id, CustomerChange::Updated).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Upserts up to [`MAX_BULK`] customers by external id, all or nothing. Every item is
    /// checked before anything is written; the error names each bad one as `customers[i].field`.
    pub async fn bulk_upsert(&self, org: &OrgId, items: Vec<NewCustomer>) -> Result<BulkOutcome> {
        if items.len() > MAX_BULK {
            return Err(Error::invalid(
                "customers",
                format!(
                    "{} customers in one request; send at most {MAX_BULK}",
                    items.len()
                ),
            ));
        }
        let batch = validate_bulk(items)?;
        let txn = self.db.begin_write().await?;
        let outcome =
            upsert_many(&txn, org, batch, MatchBy::ExternalId, &ProfileField::ALL).await?;
        txn.commit().await?;
        Ok(outcome)
    }

    /// Imports a CSV file of customers, all or nothing; `dry_run` only checks it and counts what
    /// would be created and updated.
    pub async fn import_csv(
        &self,
        org: &OrgId,
        bytes: Bytes,
        dry_run: bool,
    ) -> Result<ImportOutcome> {
        let file = tokio::task::spawn_blocking(move || parse_customer_file(&bytes))
            .await
            .map_err(|e| Error::internal(format!("the import parser stopped: {e}")))?
            .map_err(Error::invalid_fields)?;
        let rows = file.customers.len() as u64;
        let (created, updated) = if dry_run {
            let keys = match_keys(&file.customers, file.match_by);
            let existing = existing_ids(self.db.reader(), org, file.match_by, &keys).await?;
            let updated = keys
                .iter()
                .filter(|k| k.as_ref().is_some_and(|k| existing.contains_key(k)))
                .count() as u64;
            (rows - updated, updated)
        } else {
            let txn = self.db.begin_write().await?;
            let outcome =
                upsert_many(&txn, org, file.customers, file.match_by, &file.columns).await?;
            txn.commit().await?;
            (outcome.created, outcome.updated)
        };
        Ok(ImportOutcome {
            created,
            updated,
            rows,
            dry_run,
            ignored_columns: file.ignored_columns,
        })
    }
}

/// Checks every bulk item and that no external id appears twice; names failures `customers[i].…`.
fn validate_bulk(items: Vec<NewCustomer>) -> Result<Vec<ValidCustomer>> {
    let mut problems = Vec::new();
    let mut batch = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match item.validate("bulk") {
            Ok(valid) => batch.push((index, valid)),
            Err(fields) => problems.extend(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(format!("customers[{index}].{}", f.field), f.reason)),
            ),
        }
    }
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (index, valid) in &batch {
        if let Some(external_id) = valid.profile.external_id.as_deref() {
            if let Some(first) = first_index.insert(external_id, *index) {
                problems.push(FieldError::new(
                    format!("customers[{index}].external_id"),
                    format!(
                        "`{external_id}` is also customers[{first}]; each customer may appear once"
                    ),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::invalid_fields(problems));
    }
    Ok(batch.into_iter().map(|(_, valid)| valid).collect())
}

/// Writes a batch in a few multi-row statements: customers found by `match_by` are updated
/// (only `columns`), the others created; consents that changed are set; tags are added.
async fn upsert_many(
    txn: &DatabaseTransaction,
    org: &OrgId,
    batch: Vec<ValidCustomer>,
    match_by: MatchBy,
    columns: &[ProfileField],
) -> Result<BulkOutcome> {
    let now = Utc::now();
    let keys = match_keys(&batch, match_by);
    let existing = existing_ids(txn, org, match_by, &keys).await?;
    let mut ids = Vec::with_capacity(batch.len());
    let mut updated_ids = HashSet::new();
    for key in &keys {
        match key.as_ref().and_then(|k| existing.get(k)) {
            Some(id) => {
                updated_ids.insert(id.clone());
                ids.push(id.clone());
            }
            None => ids.push(CustomerId::generate().into_string()),
        }
    }
    let rows: Vec<customers::ActiveModel> = batch
        .iter()
        .zip(&ids)
        .map(|(valid, id)| row_of(org, id, &valid.profile, now))
        .collect();
    let mut update_columns: Vec<customers::Column> =
        columns.iter().map(|f| column_of(*f)).collect();
    update_columns.push(customers::Column::UpdatedAt);
    let upsert = OnConflict::columns([customers::Column::OrganizationId, customers::Column::Id])
        .update_columns(update_columns)
        .to_owned();
    for chunk in chunks(rows, customers::Column::iter().count()) {
        customers::Entity::insert_many(chunk)
            .on_conflict(upsert.clone())
            .exec_without_returning(txn)
            .await
            .map_err(conflict_on(
                "external_id",
                "a customer with one of these external ids was created meanwhile; send the batch again"
                    .to_string(),
            ))?;
    }
    let mut permissions = Vec::new();
    let mut tags = Vec::new();
    for (valid, id) in batch.iter().zip(&ids) {
        permissions.extend(permission_writes(id, valid, &valid.permission_source));
        tags.extend(tag_pairs(id, valid));
    }
    write_permissions(txn, org, permissions, now).await?;
    add_tags(txn, org, tags, now).await?;
    // One statement for the batch's events, last before the commit: see the outbox's re-read
    // window (`fullhouse_core::events::DEFAULT_REREAD_WINDOW`).
    let changes: Vec<CustomerChanged> = ids
        .iter()
        .map(|id| {
            let change = if updated_ids.contains(id) {
                CustomerChange::Updated
            } else {
                CustomerChange::Created
            };
            CustomerChanged::new(CustomerId::from_db(id.clone()), change)
        })
        .collect();
    events::record_many(txn, org, &changes).await?;
    let updated = updated_ids.len() as u64;
    Ok(BulkOutcome {
        created: ids.len() as u64 - updated,
        updated,
        ids: ids.into_iter().map(CustomerId::from_db).collect(),
    })
}

fn match_keys(batch: &[ValidCustomer], match_by: MatchBy) -> Vec<Option<String>> {
    batch
        .iter()
        .map(|valid| match match_by {
            MatchBy::ExternalId => valid.profile.external_id.clone(),
            MatchBy::Email => valid.profile.email.clone(),
        })
        .collect()
}

/// The ids of the customers the keys name; with several customers per email, the oldest.
async fn existing_ids(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    match_by: MatchBy,
    keys: &[Option<String>],
) -> Result<HashMap<String, String>> {
    let column = match match_by {
        MatchBy::ExternalId => customers::Column::ExternalId,
        MatchBy::Email => customers::Column::Email,
    };
    let mut wanted: Vec<&String> = keys.iter().flatten().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = HashMap::new();
    for chunk in wanted.chunks(IN_CHUNK) {
        let rows = customers::Entity::find()
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .filter(column.is_in(chunk.iter().map(|k| k.as_str())))
            .order_by_asc(customers::Column::Id)
            .all(conn)
            .await?;
        for row in rows {
            let key = match match_by {
                MatchBy::ExternalId => row.external_id,
                MatchBy::Email => row.email,
            };
            if let Some(key) = key {
                found.entry(key).or_insert(row.id);
            }
        }
    }
    Ok(found)
}

/// Splits rows so that one statement binds at most [`MAX_PARAMS`] values.
fn chunks<T>(rows: Vec<T>, columns: usize) -> Vec<Vec<T>> {
    let per_statement = (MAX_PARAMS / columns.max(1)).max(1);
    let mut out = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        out.push(rows.by_ref().take(per_statement).collect());
    }
    out
}

/// A consent to write for one customer.
struct PermissionWrite {
    customer_id: String,
    permission: String,
    granted: bool,
    source: String,
}

fn permission_writes(id: &str, valid: &ValidCustomer, source: &str) -> Vec<PermissionWrite> {
    valid
        .permissions
        .iter()
        .map(|(permission, granted)| PermissionWrite {
            customer_id: id.to_string(),
            permission: permission.clone(),
            granted: *granted,
            source: source.to_string(),
        })
        .collect()
}

fn tag_pairs(id: &str, valid: &ValidCustomer) -> Vec<(String, String)> {
    valid
        .tags
        .iter()
        .flatten()
        .map(|tag| (id.to_string(), tag.clone()))
        .collect()
}

/// Writes the consents whose value differs from the stored one. An unchanged consent keeps the
/// time and source of when it was really given.
async fn write_permissions(
    txn: &DatabaseTransaction,
    org: &OrgId,
    writes: Vec<PermissionWrite>,
    now: DateTime<Utc>,
) -> Result<()> {
    if writes.is_empty() {
        return Ok(());
    }
    let mut customer_ids: Vec<&str> = writes.iter().map(|w| w.customer_id.as_str()).collect();
    customer_ids.sort_unstable();
    customer_ids.dedup();
    let mut stored: HashMap<(String, String), bool> = HashMap::new();
    for chunk in customer_ids.chunks(IN_CHUNK) {
        let rows = customer_permissions::Entity::find()
            .filter(customer_permissions::Column::OrganizationId.eq(org.as_str()))
            .filter(customer_permissions::Column::CustomerId.is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        for row in rows {
            stored.insert((row.customer_id, row.permission), row.granted);
        }
    }
    let changed: Vec<PermissionWrite> = writes
        .into_iter()
        .filter(|w| stored.get(&(w.customer_id.clone(), w.permission.clone())) != Some(&w.granted))
        .collect();
    upsert_permissions(txn, org, changed, now).await
}

/// Sets consents, replacing the stored value, time and source.
async fn upsert_permissions(
    txn: &DatabaseTransaction,
    org: &OrgId,
    writes: Vec<PermissionWrite>,
    now: DateTime<Utc>,
) -> Result<()> {
    let rows: Vec<customer_permissions::ActiveModel> = writes
        .into_iter()
        .map(|w| customer_permissions::ActiveModel {
            organization_id: Set(org.to_string()),
            customer_id: Set(w.customer_id),
            permission: Set(w.permission),
            granted: Set(w.granted),
            changed_at: Set(now),
            source: Set(w.source),
        })
        .collect();
    let upsert = OnConflict::columns([
        customer_permissions::Column::OrganizationId,
        customer_permissions::Column::CustomerId,
        customer_permissions::Column::Permission,
    ])
    .update_columns([
        customer_permissions::Column::Granted,
        customer_permissions::Column::ChangedAt,
        customer_permissions::Column::Source,
    ])
    .to_owned();
    for chunk in chunks(rows, customer_permissions::Column::iter().count()) {
        customer_permissions::Entity::insert_many(chunk)
            .on_conflict(upsert.clone())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Adds `(customer id, tag)` pairs, skipping the ones that exist; returns how many were new.
async fn add_tags(
    txn: &DatabaseTransaction,
    org: &OrgId,
    pairs: Vec<(String, String)>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let rows: Vec<customer_tags::ActiveModel> = pairs
        .into_iter()
        .map(|(customer_id, tag)| customer_tags::ActiveModel {
            organization_id: Set(org.to_string()),
            customer_id: Set(customer_id),
            tag: Set(tag),
            created_at: Set(now),
        })
        .collect();
    let skip_existing = OnConflict::columns([
        customer_tags::Column::OrganizationId,
        customer_tags::Column::CustomerId,
        customer_tags::Column::Tag,
    ])
    .do_nothing()
    .to_owned();
    let mut added = 0;
    for chunk in chunks(rows, customer_tags::Column::iter().count()) {
        added += customer_tags::Entity::insert_many(chunk)
            .on_conflict(skip_existing.clone())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(added)
}

/// Makes the customer's tags exactly `tags`.
async fn replace_tags(
    txn: &DatabaseTransaction,
    org: &OrgId,
    id: &str,
    tags: &[String],
    now: DateTime<Utc>,
) -> Result<()> {
    customer_tags::Entity::delete_many()
        .filter(customer_tags::Column::OrganizationId.eq(org.as_str()))
        .filter(customer_tags::Column::CustomerId.eq(id))
        .filter(customer_tags::Column::Tag.is_not_in(tags.iter().map(String::as_str)))
        .exec(txn)
        .await?;
    let pairs = tags.iter().map(|t| (id.to_string(), t.clone())).collect();
    add_tags(txn, org, pairs, now).await?;
    Ok(())
}

async fn touch(
    txn: &DatabaseTransaction,
    org: &OrgId,
    id: &CustomerId,
    now: DateTime<Utc>,
) -> Result<()> {
    customers::Entity::update_many()
        .col_expr(customers::Column::UpdatedAt, Expr::value(now))
        .filter(customers::Column::OrganizationId.eq(org.as_str()))
        .filter(customers::Column::Id.eq(id.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

/// The `customer.changed` event that the segment index and jobs read.
async fn record_change(
    txn: &DatabaseTransaction,
    org: &OrgId,
    id: &CustomerId,
    change: CustomerChange,
) -> Result<()> {
    events::record(txn, org, &CustomerChanged::new(id.clone(), change)).await
}

/// True when an order or a ticket points at the customer.
async fn has_sales(txn: &DatabaseTransaction, org: &OrgId, id: &CustomerId) -> Result<bool> {
    let orders = orders::Entity::find()
        .filter(orders::Column::OrganizationId.eq(org.as_str()))
        .filter(orders::Column::CustomerId.eq(id.as_str()))
        .count(txn)
        .await?;
    if orders > 0 {
        return Ok(true);
    }
    let tickets = tickets::Entity::find()
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::CustomerId.eq(id.as_str()))
        .count(txn)
        .await?;
    Ok(tickets > 0)
}

/// The search of `GET /customers`: each word must appear in a name, the email, the phone or the
/// company; or `q` is exactly a customer id or external id. Written with `LOWER(…) LIKE` so the
/// same SQL runs on both backends (both lowercase ASCII only: `Ø` matches `Ø`, not `ø`).
fn search(q: &str) -> Result<Condition> {
    if q.chars().count() > 200 {
        return Err(Error::invalid("q", "must be at most 200 characters"));
    }
    let lower = q.to_lowercase();
    let lowered = |column: customers::Column| Expr::expr(Func::lower(Expr::col(column)));
    let mut every_word = Condition::all();
    for word in lower.split_whitespace().take(8) {
        let pattern = format!("%{}%", escape_like(word));
        let mut any_field = Condition::any();
        for column in [
            customers::Column::FirstName,
            customers::Column::LastName,
            customers::Column::Email,
            customers::Column::Phone,
            customers::Column::Company,
        ] {
            any_field = any_field.add(lowered(column).like(LikeExpr::new(&pattern).escape('\\')));
        }
        every_word = every_word.add(any_field);
    }
    let mut matches = Condition::any()
        .add(lowered(customers::Column::Id).eq(lower.clone()))
        .add(lowered(customers::Column::ExternalId).eq(lower.clone()))
        .add(every_word);
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() >= 3 && digits.chars().all(|c| c.is_ascii_digit() || c == '+') {
        // "12345678" finds "12 34 56 78", however the number was spaced when it was stored.
        let phone_digits = Func::cust(Alias::new("REPLACE"))
            .arg(Expr::col(customers::Column::Phone))
            .arg(Expr::val(" "))
            .arg(Expr::val(""));
        matches = matches.add(Expr::expr(phone_digits).like(format!("%{digits}%")));
    }
    Ok(matches)
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn external_id_taken(profile: &Profile) -> impl FnOnce(sea_orm::DbErr) -> Error {
    conflict_on(
        "external_id",
        format!(
            "another customer has the external id `{}`",
            profile.external_id.as_deref().unwrap_or_default()
        ),
    )
}

async fn find_row(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    id: &CustomerId,
) -> Result<customers::Model> {
    customers::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("customer"))
}

async fn load_one(conn: &impl ConnectionTrait, org: &OrgId, id: &CustomerId) -> Result<Customer> {
    let row = find_row(conn, org, id).await?;
    load(conn, org, vec![row])
        .await?
        .pop()
        .ok_or(Error::NotFound("customer"))
}

/// Customers with their consents and tags: one query for all consents, one for all tags.
async fn load(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    rows: Vec<customers::Model>,
) -> Result<Vec<Customer>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut permissions: BTreeMap<String, Vec<CustomerPermission>> = BTreeMap::new();
    for row in customer_permissions::Entity::find()
        .filter(customer_permissions::Column::OrganizationId.eq(org.as_str()))
        .filter(customer_permissions::Column::CustomerId.is_in(ids.iter().copied()))
        .order_by_asc(customer_permissions::Column::Permission)
        .all(conn)
        .await?
    {
        permissions
            .entry(row.customer_id)
            .or_default()
            .push(CustomerPermission {
                permission: row.permission,
                granted: row.granted,
                changed_at: row.changed_at,
                source: row.source,
            });
    }
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in customer_tags::Entity::find()
        .filter(customer_tags::Column::OrganizationId.eq(org.as_str()))
        .filter(customer_tags::Column::CustomerId.is_in(ids.iter().copied()))
        .order_by_asc(customer_tags::Column::Tag)
        .all(conn)
        .await?
    {
        tags.entry(row.customer_id).or_default().push(row.tag);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let permissions = permissions.remove(&row.id).unwrap_or_default();
            let tags = tags.remove(&row.id).unwrap_or_default();
            customer_from(row, permissions, tags)
        })
        .collect())
}

fn customer_from(
    m: customers::Model,
    permissions: Vec<CustomerPermission>,
    tags: Vec<String>,
) -> Customer {
    Customer {
        id: CustomerId::from_db(m.id),
        external_id: m.external_id,
        first_name: m.first_name,
        last_name: m.last_name,
        email: m.email,
        phone: m.phone,
        company: m.company,
        title: m.title,
        gender: m.gender.as_deref().and_then(Gender::from_db),
        birth_date: m.birth_date,
        address_line: m.address_line,
        postal_code: m.postal_code,
        city: m.city,
        country: m.country,
        latitude: m.latitude,
        longitude: m.longitude,
        language: m.language,
        subscriber: m.subscriber,
        permissions,
        tags,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn profile_of(m: &customers::Model) -> Profile {
    Profile {
        external_id: m.external_id.clone(),
        first_name: m.first_name.clone(),
        last_name: m.last_name.clone(),
        email: m.email.clone(),
        phone: m.phone.clone(),
        company: m.company.clone(),
        title: m.title.clone(),
        gender: m.gender.as_deref().and_then(Gender::from_db),
        birth_date: m.birth_date,
        address_line: m.address_line.clone(),
        postal_code: m.postal_code.clone(),
        city: m.city.clone(),
        country: m.country.clone(),
        latitude: m.latitude,
        longitude: m.longitude,
        language: m.language.clone(),
        subscriber: m.subscriber,
    }
}

/// A full row with every column set; `created_at` and `updated_at` are `now`.
fn row_of(org: &OrgId, id: &str, p: &Profile, now: DateTime<Utc>) -> customers::ActiveModel {
    customers::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        external_id: Set(p.external_id.clone()),
        first_name: Set(p.first_name.clone()),
        last_name: Set(p.last_name.clone()),
        email: Set(p.email.clone()),
        phone: Set(p.phone.clone()),
        company: Set(p.company.clone()),
        title: Set(p.title.clone()),
        gender: Set(p.gender.map(|g| g.as_str().to_string())),
        birth_date: Set(p.birth_date),
        address_line: Set(p.address_line.clone()),
        postal_code: Set(p.postal_code.clone()),
        city: Set(p.city.clone()),
        country: Set(p.country.clone()),
        latitude: Set(p.latitude),
        longitude: Set(p.longitude),
        language: Set(p.language.clone()),
        subscriber: Set(p.subscriber),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

fn column_of(field: ProfileField) -> customers::Column {
    use customers::Column as C;
    match field {
        ProfileField::ExternalId => C::ExternalId,
        ProfileField::FirstName => C::FirstName,
        ProfileField::LastName => C::LastName,
        ProfileField::Email => C::Email,
        ProfileField::Phone => C::Phone,
        ProfileField::Company => C::Company,
        ProfileField::Title => C::Title,
        ProfileField::Gender => C::Gender,
        ProfileField::BirthDate => C::BirthDate,
        ProfileField::AddressLine => C::AddressLine,
        ProfileField::PostalCode => C::PostalCode,
        ProfileField::City => C::City,
        ProfileField::Country => C::Country,
        ProfileField::Latitude => C::Latitude,
        ProfileField::Longitude => C::Longitude,
        ProfileField::Language => C::Language,
        ProfileField::Subscriber => C::Subscriber,
    }
}
