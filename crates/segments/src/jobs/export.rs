//! Segment exports (seed 002, "Export"), one job kind for both files: all customer data or the
//! customer list, as CSV or XLSX.
//!
//! The job resolves its [`Selection`] when it runs (a saved view picks up the customers who
//! joined since), then reads the customers in id order, a keyset page at a time, and keeps the
//! members by walking the page beside the members' sorted ids — no set of ids is built. Each
//! page's tags, permissions or sales are one query each. Rows go to a temporary file through the
//! [`TableWriter`] (which neutralizes formulas), and the file is streamed to the file store in
//! parts: memory stays flat for a million customers.
//!
//! Starting an export is written to the audit log (`segment.exported`, with the file name, kind
//! and format) in the transaction that queues the job.

use std::sync::Arc;

use chrono::Utc;
use fullhouse_core::jobs::{self, JobContext, JobHandler, JobId, NewJob};
use fullhouse_core::tabular::{ExportFormat, TableWriter, XLSX_MAX_ROWS};
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Caller, Db, Error, OrgId, Result};
use fullhouse_ticketing::service::facts::{CustomerKey, FactsService, SaleFacts};
use fullhouse_web::Lang;
use serde::{Deserialize, Serialize};

use super::export_rows::{Conventions, CustomerLine, ExportKind, Purchases, RowFormat};
use crate::index::Registry;
use crate::selection::{customer_id, ulid_of, Members, Selection};
use crate::service::SegmentService;

/// The export job's kind.
pub const EXPORT_JOB: &str = "segments.export";
/// Customers read per page (and per tags, permissions or sales query).
pub const PAGE: u64 = 5_000;
/// The most customers an XLSX export holds: a sheet's rows but the header.
pub const XLSX_MAX_CUSTOMERS: usize = XLSX_MAX_ROWS as usize - 1;
/// Attempts of an export: a failed one (the store unreachable) starts again from the top.
const MAX_ATTEMPTS: i32 = 3;

/// The job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportPayload {
    pub selection: Selection,
    pub kind: ExportKind,
    pub format: ExportFormat,
    /// The file's name on the job.
    pub file_name: String,
    /// The language of the person who started it: progress, headers, separators.
    pub language: String,
}

/// Refuses an XLSX export too large for one sheet, before any work.
pub fn check_size(format: ExportFormat, customers: usize) -> Result<()> {
    if format == ExportFormat::Xlsx && customers > XLSX_MAX_CUSTOMERS {
        return Err(Error::invalid(
            "format",
            format!(
                "{customers} customers do not fit in an XLSX sheet (at most \
                 {XLSX_MAX_CUSTOMERS}); export as CSV"
            ),
        ));
    }
    Ok(())
}

/// Queues an export of `selection` for `caller` and writes it to the audit log, in one
/// transaction. The selection is resolved now too: a typo in it, or an XLSX file too large,
/// is refused here rather than in a failed job.
pub async fn start_export(
    db: &Db,
    registry: &Registry,
    caller: &Caller,
    selection: Selection,
    kind: ExportKind,
    format: ExportFormat,
) -> Result<JobId> {
    let members = SegmentService::new(db.clone())
        .members(registry, &caller.org, &selection, Utc::now())
        .await?;
    check_size(format, members.len())?;
    let lang = Lang::from_stored(&caller.language);
    let file_name = file_name(&members, kind, format);
    let payload = ExportPayload {
        selection,
        kind,
        format,
        file_name: file_name.clone(),
        language: lang.code().to_string(),
    };
    let mut new = NewJob::new(
        EXPORT_JOB,
        lang.t1("segments-export-title", "segment", &members.segment.name),
        serde_json::to_value(&payload).map_err(|e| Error::internal(e.to_string()))?,
    );
    new.max_attempts = MAX_ATTEMPTS;
    new.created_by = Some(caller.actor());
    let txn = db.begin_write().await?;
    let job = jobs::enqueue(&txn, &caller.org, new).await?;
    members
        .audit(
            &txn,
            caller,
            "segment.exported",
            job.as_str(),
            serde_json::json!({ "file": file_name, "kind": kind, "format": format }),
        )
        .await?;
    txn.commit().await?;
    Ok(job)
}

/// `vip-customers-customer-list-2026-12-05.csv`: the segment (and view), the kind, the day.
fn file_name(members: &Members, kind: ExportKind, format: ExportFormat) -> String {
    let mut name = slug(&members.segment.name);
    if let Some(view) = &members.view {
        name.push('-');
        name.push_str(&slug(&view.name));
    }
    format!(
        "{name}-{}-{}.{}",
        kind.slug(),
        members.at.format("%Y-%m-%d"),
        format.extension()
    )
}

/// Letters and digits kept (Danish and French ones too), runs of anything else one `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "segment".to_string()
    } else {
        trimmed.chars().take(60).collect()
    }
}

/// Runs export jobs.
pub struct ExportJob {
    registry: Arc<Registry>,
}

impl ExportJob {
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }
}

#[async_trait::async_trait]
impl JobHandler for ExportJob {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload: ExportPayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| Error::internal(format!("an export job's payload: {e}")))?;
        let lang = Lang::from_stored(&payload.language);
        let db = ctx.db().clone();
        let members = SegmentService::new(db.clone())
            .members(&self.registry, &ctx.org, &payload.selection, Utc::now())
            .await?;
        check_size(payload.format, members.len())?;
        let conventions = conventions(&db, &ctx.org, lang).await?;
        let total = as_i64(members.len());
        ctx.progress(0, Some(total), Some(&lang.t("segments-export-started")))
            .await?;
        let mut export = Export::new(payload.kind, payload.format, conventions, members.ids)?;
        let facts = FactsService::new(db);
        while export.next_page(&facts, &ctx.org).await? {
            ctx.progress(
                as_i64(export.walked()),
                Some(total),
                Some(&lang.t1("segments-export-progress", "customers", export.written())),
            )
            .await?;
        }
        let written = export.written();
        let file = export.finish().await?;
        ctx.attach_path(
            &payload.file_name,
            payload.format.content_type(),
            file.path(),
        )
        .await?;
        ctx.progress(
            total,
            Some(total),
            Some(&lang.t1("segments-export-done", "customers", written)),
        )
        .await
    }
}

fn as_i64(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// The organization's currency and zone, with the reader's language.
pub async fn conventions(db: &Db, org: &OrgId, lang: Lang) -> Result<Conventions> {
    let organization = TenancyService::new(db.clone()).organization(org).await?;
    Ok(Conventions {
        lang,
        currency: organization.currency,
        zone: organization.timezone.parse().unwrap_or(chrono_tz::UTC),
    })
}

/// An export being written: the members' ids, how far the walk got, and the file.
pub struct Export {
    kind: ExportKind,
    format: RowFormat,
    writer: TableWriter,
    /// The members' ULIDs, ascending.
    ids: Vec<u128>,
    /// The first member not yet looked for.
    next: usize,
    written: u64,
}

impl Export {
    pub fn new(
        kind: ExportKind,
        format: ExportFormat,
        conventions: Conventions,
        ids: Vec<u128>,
    ) -> Result<Export> {
        check_size(format, ids.len())?;
        let rows = RowFormat::new(kind, conventions);
        let headers = rows.headers();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let writer = TableWriter::new(format, &headers, rows.delimiter())?;
        Ok(Export {
            kind,
            format: rows,
            writer,
            ids,
            next: 0,
            written: 0,
        })
    }

    /// Members looked for so far (written, or gone from the database since).
    pub fn walked(&self) -> usize {
        self.next
    }

    /// Customers written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Reads and writes the next page; false when every member was looked for.
    pub async fn next_page(&mut self, facts: &FactsService, org: &OrgId) -> Result<bool> {
        let (Some(first), Some(last)) = (self.ids.get(self.next), self.ids.last()) else {
            return Ok(false);
        };
        let page = facts
            .customer_records_page(org, &customer_id(*first), &customer_id(*last), PAGE)
            .await?;
        // The walk: the page and the members are both in id order, so one pass over each
        // keeps the page's members.
        let mut kept = Vec::with_capacity(page.len());
        let mut at = self.next;
        for customer in page.iter() {
            let Some(id) = ulid_of(&customer.id) else {
                continue;
            };
            while self.ids.get(at).is_some_and(|member| *member < id) {
                at += 1;
            }
            if self.ids.get(at) == Some(&id) {
                kept.push(customer);
                at += 1;
            }
        }
        self.next = match page.last().and_then(|c| ulid_of(&c.id)) {
            // A short page is the end: members after it are customers erased since.
            Some(_) if (page.len() as u64) < PAGE => self.ids.len(),
            Some(last) => self.ids.partition_point(|id| *id <= last),
            None => self.ids.len(),
        };
        self.write(facts, org, &kept).await?;
        Ok(true)
    }

    async fn write(
        &mut self,
        facts: &FactsService,
        org: &OrgId,
        customers: &[&fullhouse_ticketing::store::customers::Model],
    ) -> Result<()> {
        let ids: Vec<String> = customers.iter().map(|c| c.id.clone()).collect();
        let (mut tags, mut permissions, mut sales) = (Vec::new(), Vec::new(), Vec::new());
        match self.kind {
            ExportKind::Customers => {
                tags = facts.tags_of(org, &ids).await?;
                permissions = facts.granted_permissions_of(org, &ids).await?;
            }
            ExportKind::CustomerList => sales = facts.sales_of(org, &ids).await?,
        }
        let by_customer = |a: &CustomerKey, b: &CustomerKey| {
            (a.customer_id.as_str(), a.key.as_str()).cmp(&(b.customer_id.as_str(), &b.key))
        };
        tags.sort_unstable_by(by_customer);
        permissions.sort_unstable_by(by_customer);
        sales.sort_unstable_by(|a, b| a.customer_id.cmp(&b.customer_id));
        let (mut tag_at, mut permission_at, mut sale_at) = (0, 0, 0);
        for customer in customers {
            let tags = keys_of(&tags, &mut tag_at, &customer.id);
            let permissions = keys_of(&permissions, &mut permission_at, &customer.id);
            let sales = sales_of(&sales, &mut sale_at, &customer.id);
            let purchases = Purchases::of(&sales);
            let row = self.format.row(&CustomerLine {
                customer,
                tags: &tags,
                permissions: &permissions,
                purchases: &purchases,
            });
            self.writer.write_row(row)?;
            self.written += 1;
        }
        Ok(())
    }

    /// The finished file (zipping an XLSX file is CPU work: off the async workers).
    pub async fn finish(self) -> Result<tempfile::NamedTempFile> {
        let writer = self.writer;
        tokio::task::spawn_blocking(move || writer.finish_to_file())
            .await
            .map_err(|e| Error::internal(format!("finishing an export: {e}")))?
    }
}

/// The keys of `customer` in `keys` (sorted by customer), from `at` on; `at` moves past them.
fn keys_of<'k>(keys: &'k [CustomerKey], at: &mut usize, customer: &str) -> Vec<&'k str> {
    let mut found = Vec::new();
    while let Some(key) = keys.get(*at) {
        match key.customer_id.as_str().cmp(customer) {
            std::cmp::Ordering::Less => *at += 1,
            std::cmp::Ordering::Equal => {
                found.push(key.key.as_str());
                *at += 1;
            }
            std::cmp::Ordering::Greater => break,
        }
    }
    found
}

fn sales_of<'s>(sales: &'s [SaleFacts], at: &mut usize, customer: &str) -> Vec<&'s SaleFacts> {
    let mut found = Vec::new();
    while let Some(sale) = sales.get(*at) {
        match sale.customer_id.as_str().cmp(customer) {
            std::cmp::Ordering::Less => *at += 1,
            std::cmp::Ordering::Equal => {
                found.push(sale);
                *at += 1;
            }
            std::cmp::Ordering::Greater => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_xlsx_export_of_more_customers_than_a_sheet_holds_is_refused_with_csv_suggested() {
        assert!(check_size(ExportFormat::Xlsx, XLSX_MAX_CUSTOMERS).is_ok());
        assert!(check_size(ExportFormat::Csv, XLSX_MAX_CUSTOMERS + 1).is_ok());
        let refused = check_size(ExportFormat::Xlsx, XLSX_MAX_CUSTOMERS + 1)
            .err()
            .map(|e| e.public_message())
            .unwrap_or_default();
        assert!(refused.contains("CSV"), "{refused}");
    }

    #[test]
    fn a_file_is_named_after_the_segment_kind_and_day() {
        assert_eq!(slug("VIP kunder — Århus!"), "vip-kunder-århus");
        assert_eq!(slug("***"), "segment");
    }

    #[test]
    fn the_walk_takes_each_customers_keys_in_order_and_skips_others() {
        let key = |c: &str, k: &str| CustomerKey {
            customer_id: c.into(),
            key: k.into(),
        };
        let keys = [key("a", "1"), key("b", "2"), key("b", "3"), key("d", "4")];
        let mut at = 0;
        assert_eq!(keys_of(&keys, &mut at, "b"), ["2", "3"]);
        assert_eq!(keys_of(&keys, &mut at, "c"), Vec::<&str>::new());
        assert_eq!(keys_of(&keys, &mut at, "d"), ["4"]);
        assert_eq!(at, 4);
    }
}
