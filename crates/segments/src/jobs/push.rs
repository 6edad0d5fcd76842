//! `segments.push`: a selection's customers sent to a connector — a Meta custom audience, or an
//! email tool's list — or, as a dry run, only counted against the last push.
//!
//! The selection is resolved when the job runs, so a saved view pushed again picks up the
//! customers who joined it since. A view is pushed to Meta with `usersreplace`: the audience
//! becomes the view, and people who left the view leave the audience. A one-off selection is
//! added (`users`), leaving the audience's other people alone.
//!
//! Each successful push stores the set it leaves in the target (see
//! [`ConnectorService::store_pushed`]); a dry run compares the selection with it and writes the
//! customers that would be added and removed to a CSV on the job. Email tools get only customers
//! with an email address whose `newsletter` permission is granted at the moment of the push
//! (the consent marketing mail is sent under, see referrals' link mails); their refusals of
//! single records are written to a rejected CSV with the tool's reason.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use fullhouse_core::jobs::{JobContext, JobHandler};
use fullhouse_core::module::Mount;
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_web::Lang;
use serde::{Deserialize, Serialize};

use super::push_data::{customers_of, Loaded};
use crate::connectors::meta::client::{MetaClient, Operation, UploadReport, MAX_BATCH};
use crate::connectors::meta::normalize::{self, SCHEMA};
use crate::connectors::model::{Connector, ConnectorId, ConnectorKind};
use crate::connectors::service::{ConnectorService, ConnectorSetup};
use crate::connectors::tools::{EmailTool, Rejected};
use crate::index::Registry;
use crate::selection::{Members, Selection};
use crate::service::SegmentService;

/// The push job's kind.
pub const PUSH_JOB: &str = "segments.push";
/// The marketing-mail consent an email tool's contacts must have granted.
pub const MAIL_PERMISSION: &str = "newsletter";

/// Registers the push job, and provides the connectors' setup (the server's sealing key and
/// HTTP client) to the routes as an `axum::Extension`: one key loaded once for both.
pub fn register(mount: &mut Mount, registry: &Arc<Registry>) {
    let setup = ConnectorSetup::load(mount.state());
    mount.provide(setup.clone()).job(
        PUSH_JOB,
        Push {
            registry: registry.clone(),
            setup,
        },
    );
}

/// The job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushPayload {
    pub selection: Selection,
    pub connector_id: ConnectorId,
    #[serde(default)]
    pub dry_run: bool,
    /// The language of the person who started it, for the progress messages.
    pub language: String,
}

/// Runs pushes.
pub struct Push {
    registry: Arc<Registry>,
    setup: ConnectorSetup,
}

#[async_trait::async_trait]
impl JobHandler for Push {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload: PushPayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| Error::internal(format!("a push job's payload: {e}")))?;
        let lang = Lang::from_stored(&payload.language);
        let org = &ctx.org;
        let connectors = ConnectorService::new(ctx.db().clone(), self.setup.clone());
        let connector = connectors.connector(org, &payload.connector_id).await?;
        let members = SegmentService::new(ctx.db().clone())
            .members(&self.registry, org, &payload.selection, Utc::now())
            .await?;
        ctx.progress(0, None, Some(&lang.t("segments-push-started")))
            .await?;
        let last: BTreeSet<String> = connectors
            .last_pushed(org, &connector)
            .await?
            .into_iter()
            .collect();
        if payload.dry_run {
            let would = eligible(ctx, &connector, &members).await?;
            return dry_run(ctx, lang, &would, &last).await;
        }
        if connector.kind == ConnectorKind::Meta {
            let replace = payload.selection.view_id.is_some();
            let report = push_meta(ctx, &connectors, &connector, &members, replace, lang).await?;
            let kept: BTreeSet<String> = if replace {
                members.customer_ids().collect()
            } else {
                last.into_iter().chain(members.customer_ids()).collect()
            };
            connectors
                .store_pushed(org, &connector, &kept, Utc::now())
                .await?;
            let done = as_i64(members.len());
            let message = meta_message(lang, &report);
            return ctx.progress(done, Some(done), Some(&message)).await;
        }
        let tool = email_tool(&connectors, org, &connector).await?;
        push_email(
            ctx,
            &connectors,
            &connector,
            tool.as_ref(),
            &members,
            last,
            lang,
        )
        .await
    }
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The customers a push would leave in the target: every member for Meta; for an email tool,
/// the members with an email whose marketing consent is granted.
async fn eligible(
    ctx: &JobContext,
    connector: &Connector,
    members: &Members,
) -> Result<BTreeSet<String>> {
    if !connector.kind.is_email_tool() {
        return Ok(members.customer_ids().collect());
    }
    let mut found = BTreeSet::new();
    for chunk in members.chunks(MAX_BATCH) {
        let loaded = customers_of(ctx.db(), &ctx.org, &chunk, MAIL_PERMISSION).await?;
        found.extend(
            loaded
                .into_iter()
                .filter(Loaded::may_be_mailed)
                .map(|c| c.row.id),
        );
    }
    Ok(found)
}

/// Counts what a push would add and remove, and writes both lists to `dry-run.csv`.
async fn dry_run(
    ctx: &JobContext,
    lang: Lang,
    would: &BTreeSet<String>,
    last: &BTreeSet<String>,
) -> Result<()> {
    let added: Vec<&String> = would.difference(last).collect();
    let removed: Vec<&String> = last.difference(would).collect();
    let mut csv = csv::Writer::from_writer(Vec::new());
    let write = |e: csv::Error| Error::internal(format!("writing the dry run's file: {e}"));
    csv.write_record(["change", "customer_id"]).map_err(write)?;
    for (change, ids) in [("added", &added), ("removed", &removed)] {
        for id in ids.iter() {
            csv.write_record([change, id.as_str()]).map_err(write)?;
        }
    }
    let bytes = csv
        .into_inner()
        .map_err(|e| Error::internal(e.to_string()))?;
    ctx.attach_file("dry-run.csv", "text/csv", Bytes::from(bytes))
        .await?;
    let message = format!(
        "{} · {}",
        lang.t1("segments-push-would-add", "count", added.len()),
        lang.t1("segments-push-would-remove", "count", removed.len())
    );
    let total = as_i64(would.len());
    ctx.progress(total, Some(total), Some(&message)).await
}

/// Normalizes, hashes and uploads the members to the connector's audience, one session; Meta's
/// counts and invalid-entry samples are written to `meta-result.csv`.
async fn push_meta(
    ctx: &JobContext,
    connectors: &ConnectorService,
    connector: &Connector,
    members: &Members,
    replace: bool,
    lang: Lang,
) -> Result<UploadReport> {
    let token = connectors.credential(&ctx.org, &connector.id).await?;
    let (base, version) = connector.meta_api();
    let client = MetaClient::new(connectors.setup().http.clone(), &base, &version, &token);
    let mut rows = Vec::with_capacity(members.len());
    for chunk in members.chunks(MAX_BATCH) {
        for loaded in customers_of(ctx.db(), &ctx.org, &chunk, MAIL_PERMISSION).await? {
            rows.push(normalize::row(&loaded.person()));
        }
    }
    let operation = if replace {
        Operation::Replace
    } else {
        Operation::Add
    };
    let session_id = rand::random::<u32>() as u64;
    let total = as_i64(rows.len());
    let progress = lang.t1(
        "segments-push-meta-progress",
        "audience",
        connector.target(),
    );
    let report = client
        .upload(
            operation,
            &connector.target(),
            &SCHEMA,
            &rows,
            session_id,
            |done| {
                let message = progress.clone();
                async move {
                    ctx.progress(as_i64(done), Some(total), Some(&message))
                        .await
                }
            },
        )
        .await?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    let write = |e: csv::Error| Error::internal(format!("writing Meta's result: {e}"));
    csv.write_record(["what", "value"]).map_err(write)?;
    for (what, value) in [
        ("operation", format!("{operation:?}").to_lowercase()),
        ("batches", report.batches.to_string()),
        ("num_received", report.num_received.to_string()),
        (
            "num_invalid_entries",
            report.num_invalid_entries.to_string(),
        ),
    ] {
        csv.write_record([what, value.as_str()]).map_err(write)?;
    }
    for sample in &report.invalid_entry_samples {
        csv.write_record(["invalid_entry_sample", sample.as_str()])
            .map_err(write)?;
    }
    let bytes = csv
        .into_inner()
        .map_err(|e| Error::internal(e.to_string()))?;
    ctx.attach_file("meta-result.csv", "text/csv", Bytes::from(bytes))
        .await?;
    Ok(report)
}

fn meta_message(lang: Lang, report: &UploadReport) -> String {
    format!(
        "{} · {}",
        lang.t1("segments-push-meta-received", "count", report.num_received),
        lang.t1(
            "segments-push-meta-invalid",
            "count",
            report.num_invalid_entries
        )
    )
}

/// The email tool of a connector, made from its settings and opened credential.
async fn email_tool(
    connectors: &ConnectorService,
    org: &OrgId,
    connector: &Connector,
) -> Result<Box<dyn EmailTool>> {
    let credential = connectors.credential(org, &connector.id).await?;
    super::push_data::email_tool(connectors.setup(), connector, &credential)
}

/// Pushes the consenting members with an email, in the tool's batches; refused records go to
/// `rejected.csv` with the tool's reason.
async fn push_email(
    ctx: &JobContext,
    connectors: &ConnectorService,
    connector: &Connector,
    tool: &dyn EmailTool,
    members: &Members,
    last: BTreeSet<String>,
    lang: Lang,
) -> Result<()> {
    let total = as_i64(members.len());
    let mut done = 0usize;
    let mut accepted = 0u64;
    let mut skipped = 0usize;
    let mut rejected: Vec<Rejected> = Vec::new();
    let mut pushed: BTreeSet<String> = last;
    let tag = members.segment.name.clone();
    for chunk in members.chunks(tool.batch_size()) {
        let loaded = customers_of(ctx.db(), &ctx.org, &chunk, MAIL_PERMISSION).await?;
        let contacts: Vec<_> = loaded
            .iter()
            .filter(|c| c.may_be_mailed())
            .map(|c| c.contact(&tag))
            .collect();
        skipped += chunk.len() - contacts.len();
        if !contacts.is_empty() {
            let outcome = tool.push(&contacts).await?;
            accepted += outcome.accepted;
            let refused: BTreeSet<&str> = outcome
                .rejected
                .iter()
                .map(|r| r.customer_id.as_str())
                .collect();
            pushed.extend(
                contacts
                    .iter()
                    .filter(|c| !refused.contains(c.customer_id.as_str()))
                    .map(|c| c.customer_id.clone()),
            );
            rejected.extend(outcome.rejected);
        }
        done += chunk.len();
        ctx.progress(
            as_i64(done),
            Some(total),
            Some(&lang.t1("segments-push-email-progress", "count", accepted)),
        )
        .await?;
    }
    if !rejected.is_empty() {
        let mut csv = csv::Writer::from_writer(Vec::new());
        let write = |e: csv::Error| Error::internal(format!("writing the rejected file: {e}"));
        csv.write_record(["customer_id", "email", "reason"])
            .map_err(write)?;
        for r in &rejected {
            csv.write_record([&r.customer_id, &r.email, &r.reason])
                .map_err(write)?;
        }
        let bytes = csv
            .into_inner()
            .map_err(|e| Error::internal(e.to_string()))?;
        ctx.attach_file("rejected.csv", "text/csv", Bytes::from(bytes))
            .await?;
    }
    connectors
        .store_pushed(&ctx.org, connector, &pushed, Utc::now())
        .await?;
    let message = format!(
        "{} · {} · {}",
        lang.t1("segments-push-email-accepted", "count", accepted),
        lang.t1("segments-push-email-rejected", "count", rejected.len()),
        lang.t1("segments-push-email-skipped", "count", skipped)
    );
    ctx.progress(total, Some(total), Some(&message)).await
}

/// Attempts of a push: a whole push is sent again (Meta's session and the tools' upserts make
/// a repeat harmless), after a refusal that may pass (throttling, a 5xx).
const MAX_ATTEMPTS: i32 = 3;

/// Starts a push (or a dry run) of `selection` to a connector: resolves the selection (a
/// wrong segment, view or filter is said now), enqueues the job and writes `segment.pushed`
/// to the audit log in the same transaction. The connector must be the caller's organization's.
pub async fn start(
    db: &fullhouse_core::Db,
    registry: &Registry,
    setup: &ConnectorSetup,
    caller: &fullhouse_core::Caller,
    selection: Selection,
    connector_id: &ConnectorId,
    dry_run: bool,
) -> Result<fullhouse_core::jobs::JobId> {
    let members = SegmentService::new(db.clone())
        .members(registry, &caller.org, &selection, Utc::now())
        .await?;
    let connector = ConnectorService::new(db.clone(), setup.clone())
        .connector(&caller.org, connector_id)
        .await?;
    let lang = Lang::from_stored(&caller.language);
    let key = if dry_run {
        "segments-push-dry-run-title"
    } else {
        "segments-push-title"
    };
    let title = format!(
        "{}: {}",
        lang.t1(key, "connector", &connector.name),
        members.segment.name
    );
    let payload = PushPayload {
        selection,
        connector_id: connector.id.clone(),
        dry_run,
        language: lang.code().to_string(),
    };
    let mut new = fullhouse_core::jobs::NewJob::new(
        PUSH_JOB,
        title,
        serde_json::to_value(&payload).map_err(|e| Error::internal(e.to_string()))?,
    );
    new.max_attempts = MAX_ATTEMPTS;
    new.created_by = Some(caller.actor());
    let txn = db.begin_write().await?;
    let job = fullhouse_core::jobs::enqueue(&txn, &caller.org, new).await?;
    members
        .audit(
            &txn,
            caller,
            "segment.pushed",
            job.as_str(),
            serde_json::json!({
                "connector_id": connector.id,
                "connector": connector.name,
                "connector_kind": connector.kind,
                "target": connector.target(),
                "dry_run": dry_run,
            }),
        )
        .await?;
    txn.commit().await?;
    Ok(job)
}
