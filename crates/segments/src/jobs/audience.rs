//! Refreshing an audience from its segment selection, as a job; and the sweep that enqueues the
//! daily ones.
//!
//! A refresh resolves the selection when it runs (new customers of the view are included by
//! themselves) and hands the customer ids to the audiences service in one call, which applies
//! them in one transaction: a refresh that is stopped half-way changed nothing, and running it
//! again is safe — so the kind is resumable.

use std::sync::Arc;

use chrono::Utc;
use fullhouse_audiences::model::AudienceId;
use fullhouse_audiences::service::AudienceService;
use fullhouse_core::jobs::{self, JobContext, JobHandler, JobId, NewJob};
use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_web::Lang;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::index::Registry;
use crate::service::SegmentService;
use crate::view_audiences::ViewAudiences;

/// The refresh job's kind.
pub const AUDIENCE_JOB: &str = "segments.audience";
/// Attempts of a refresh (each starts over; a refresh is one transaction).
const MAX_ATTEMPTS: i32 = 3;
/// How often the sweep looks for daily audiences due.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// The job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AudiencePayload {
    pub audience_id: AudienceId,
    /// The language of whoever started it (the organization's for the daily sweep).
    pub language: String,
}

/// Enqueues a refresh of `audience` in the caller's transaction.
pub async fn enqueue(
    txn: &impl sea_orm::ConnectionTrait,
    org: &OrgId,
    audience: &AudienceId,
    audience_name: &str,
    lang: Lang,
    actor: Option<String>,
) -> Result<JobId> {
    let payload = AudiencePayload {
        audience_id: audience.clone(),
        language: lang.code().to_string(),
    };
    let mut new = NewJob::new(
        AUDIENCE_JOB,
        lang.t1("segments-audience-job-title", "audience", audience_name),
        serde_json::to_value(&payload).map_err(Error::internal)?,
    );
    new.max_attempts = MAX_ATTEMPTS;
    new.created_by = actor;
    jobs::enqueue(txn, org, new).await
}

/// Runs refreshes.
pub struct RefreshAudience {
    pub registry: Arc<Registry>,
}

#[async_trait::async_trait]
impl JobHandler for RefreshAudience {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload: AudiencePayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| Error::internal(format!("an audience refresh's payload: {e}")))?;
        let lang = Lang::from_stored(&payload.language);
        let links = ViewAudiences::new(ctx.db().clone());
        let link = links.get(&ctx.org, &payload.audience_id).await?;
        ctx.progress(0, None, Some(&lang.t("segments-audience-job-reading")))
            .await?;
        let now = Utc::now();
        let members = SegmentService::new(ctx.db().clone())
            .members(&self.registry, &ctx.org, &link.selection, now)
            .await?;
        let total = i64::try_from(members.len()).unwrap_or(i64::MAX);
        ctx.progress(
            0,
            Some(total),
            Some(&lang.t1("segments-audience-job-writing", "customers", total)),
        )
        .await?;
        let customers: Vec<String> = members.customer_ids().collect();
        let outcome = AudienceService::new(ctx.db().clone())
            .sync_customers(&ctx.org, &link.audience_id, &customers, link.quantity)
            .await?;
        links
            .record_sync(&ctx.org, &link.audience_id, outcome, now)
            .await?;
        let summary = format!(
            "{} · {} · {}",
            lang.t1("segments-audience-added", "count", outcome.added),
            lang.t1("segments-audience-removed", "count", outcome.removed),
            lang.t1("segments-audience-kept-used", "count", outcome.kept_used),
        );
        ctx.progress(total, Some(total), Some(&summary)).await
    }
}

/// Every few minutes, enqueues a refresh of each daily audience that is due (one process
/// claims each, see [`ViewAudiences::claim_due`]).
pub async fn run_daily_sweep(db: Db, shutdown: CancellationToken) {
    loop {
        if let Err(err) = sweep_once(&db).await {
            tracing::warn!(error = ?err, "segment audience sweep");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(SWEEP_EVERY) => {}
        }
    }
}

/// One sweep: claims the due links and enqueues their refreshes in one transaction. Returns
/// how many were enqueued.
pub async fn sweep_once(db: &Db) -> Result<usize> {
    let txn = db.begin_write().await?;
    let claimed = ViewAudiences::new(db.clone())
        .claim_due(&txn, Utc::now())
        .await?;
    let audiences = AudienceService::new(db.clone());
    for (org, audience) in &claimed {
        let name = audiences.get(org, audience).await.map(|a| a.name);
        let name = match name {
            Ok(name) => name,
            Err(Error::NotFound(_)) => continue,
            Err(err) => return Err(err),
        };
        let lang = organization_language(db, org).await;
        enqueue(&txn, org, audience, &name, lang, None).await?;
    }
    txn.commit().await?;
    Ok(claimed.len())
}

/// The organization's language, for a refresh nobody started.
async fn organization_language(db: &Db, org: &OrgId) -> Lang {
    fullhouse_core::tenancy::service::TenancyService::new(db.clone())
        .organization(org)
        .await
        .map(|o| Lang::from_stored(&o.default_language))
        .unwrap_or_default()
}
