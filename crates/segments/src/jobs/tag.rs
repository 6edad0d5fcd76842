//! The bulk tag and its undo as jobs (`segments.tag`, `segments.untag`).
//!
//! Both are resumable: they work in pages, one transaction each, and a run that stopped
//! (cancelled, its process killed) starts again from the beginning without harm. The tag job
//! adds the tag to the page's customers who lack it and records exactly those in the same
//! transaction; on a second run the customers it tagged already have the tag, so they are
//! neither tagged nor recorded twice. The undo removes the tag from the recorded customers
//! who still have it, so a second run removes nothing more.

use std::sync::Arc;

use chrono::Utc;
use fullhouse_core::jobs::{JobContext, JobHandler};
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::service::CustomerService;
use fullhouse_web::Lang;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::index::Registry;
use crate::service::SegmentService;
use crate::tags::store::{
    segment_tag_action_customers as recorded, segment_tag_actions as actions,
};
use crate::tags::{TagAction, TagActionId, TagActionStatus, TagService};

pub const TAG_JOB: &str = "segments.tag";
pub const UNTAG_JOB: &str = "segments.untag";
/// Customers per transaction.
const PAGE: usize = 500;

/// Both jobs' payload: the action, and the language of whoever started it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TagPayload {
    pub action_id: TagActionId,
    pub language: String,
}

/// Adds an action's tag to its selection's customers.
pub struct Tag {
    pub registry: Arc<Registry>,
}

/// Removes the tags an action added.
pub struct Untag;

fn payload(ctx: &JobContext) -> Result<TagPayload> {
    serde_json::from_value(ctx.payload.clone())
        .map_err(|e| Error::internal(format!("a tag job's payload: {e}")))
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl JobHandler for Tag {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload = payload(ctx)?;
        let lang = Lang::from_stored(&payload.language);
        let tags = TagService::new(ctx.db().clone());
        let action = tags.action(&ctx.org, &payload.action_id).await?;
        if action.status != TagActionStatus::Tagging {
            // Undone (or finished by an earlier run) meanwhile: nothing to add.
            return ctx
                .progress(0, Some(0), Some(&lang.t("segments-tags-job-nothing")))
                .await;
        }
        // Resolved now, not when it was started: a saved view's customers of today.
        let members = SegmentService::new(ctx.db().clone())
            .members(&self.registry, &ctx.org, &action.selection, Utc::now())
            .await?;
        let total = as_i64(members.len());
        ctx.progress(0, Some(total), Some(&lang.t("segments-tags-job-started")))
            .await?;
        let mut done = 0;
        for page in members.chunks(PAGE) {
            let txn = ctx.db().begin_write().await?;
            if !still(&txn, &ctx.org, &action, TagActionStatus::Tagging).await? {
                break;
            }
            let added =
                CustomerService::add_tag_to_many(&txn, &ctx.org, &page, &action.tag, Utc::now())
                    .await?;
            record(&txn, &ctx.org, &action.id, &added).await?;
            count(
                &txn,
                &ctx.org,
                &action.id,
                actions::Column::Added,
                added.len(),
            )
            .await?;
            txn.commit().await?;
            done += page.len();
            ctx.progress(
                as_i64(done),
                Some(total),
                Some(&lang.t1("segments-tags-job-progress", "customers", done)),
            )
            .await?;
        }
        finish(
            ctx,
            &action.id,
            TagActionStatus::Tagging,
            TagActionStatus::Tagged,
        )
        .await?;
        let added = tags.action(&ctx.org, &action.id).await?.added;
        ctx.progress(
            total,
            Some(total),
            Some(&lang.t1("segments-tags-job-done", "added", added)),
        )
        .await
    }
}

#[async_trait::async_trait]
impl JobHandler for Untag {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload = payload(ctx)?;
        let lang = Lang::from_stored(&payload.language);
        let tags = TagService::new(ctx.db().clone());
        let action = tags.action(&ctx.org, &payload.action_id).await?;
        let total = action.added;
        ctx.progress(0, Some(total), Some(&lang.t("segments-tags-undo-started")))
            .await?;
        let mut after = String::new();
        let mut done = 0;
        loop {
            let page: Vec<String> = recorded::Entity::find()
                .select_only()
                .column(recorded::Column::CustomerId)
                .filter(recorded::Column::OrganizationId.eq(ctx.org.as_str()))
                .filter(recorded::Column::ActionId.eq(action.id.as_str()))
                .filter(recorded::Column::CustomerId.gt(after.as_str()))
                .order_by_asc(recorded::Column::CustomerId)
                .limit(PAGE as u64)
                .into_tuple()
                .all(ctx.db().reader())
                .await?;
            let Some(last) = page.last().cloned() else {
                break;
            };
            let txn = ctx.db().begin_write().await?;
            let removed = CustomerService::remove_tag_from_many(
                &txn,
                &ctx.org,
                &page,
                &action.tag,
                Utc::now(),
            )
            .await?;
            count(
                &txn,
                &ctx.org,
                &action.id,
                actions::Column::Removed,
                removed.len(),
            )
            .await?;
            txn.commit().await?;
            done += page.len();
            ctx.progress(
                as_i64(done),
                Some(total.max(as_i64(done))),
                Some(&lang.t1("segments-tags-undo-progress", "customers", done)),
            )
            .await?;
            after = last;
        }
        finish(
            ctx,
            &action.id,
            TagActionStatus::Undoing,
            TagActionStatus::Undone,
        )
        .await?;
        let removed = tags.action(&ctx.org, &action.id).await?.removed;
        ctx.progress(
            as_i64(done),
            Some(as_i64(done)),
            Some(&lang.t1("segments-tags-undo-done", "removed", removed)),
        )
        .await
    }
}

/// True while the action is still `status` (an undo started meanwhile stops the tagging).
async fn still(
    txn: &DatabaseTransaction,
    org: &OrgId,
    action: &TagAction,
    status: TagActionStatus,
) -> Result<bool> {
    let now = actions::Entity::find_by_id((org.to_string(), action.id.to_string()))
        .select_only()
        .column(actions::Column::Status)
        .into_tuple::<String>()
        .one(txn)
        .await?;
    Ok(now.as_deref() == Some(status.as_str()))
}

/// Records the customers the action added its tag to.
async fn record(
    txn: &DatabaseTransaction,
    org: &OrgId,
    action: &TagActionId,
    customers: &[String],
) -> Result<()> {
    if customers.is_empty() {
        return Ok(());
    }
    let rows = customers.iter().map(|customer| recorded::ActiveModel {
        organization_id: Set(org.to_string()),
        action_id: Set(action.to_string()),
        customer_id: Set(customer.clone()),
    });
    recorded::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                recorded::Column::OrganizationId,
                recorded::Column::ActionId,
                recorded::Column::CustomerId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Adds `n` to one of the action's counters.
async fn count(
    txn: &DatabaseTransaction,
    org: &OrgId,
    action: &TagActionId,
    column: actions::Column,
    n: usize,
) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    actions::Entity::update_many()
        .col_expr(column, Expr::col(column).add(as_i64(n)))
        .filter(actions::Column::OrganizationId.eq(org.as_str()))
        .filter(actions::Column::Id.eq(action.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

/// Moves the action from `from` to `to` (only from `from`: an undo started meanwhile wins).
async fn finish(
    ctx: &JobContext,
    action: &TagActionId,
    from: TagActionStatus,
    to: TagActionStatus,
) -> Result<()> {
    actions::Entity::update_many()
        .col_expr(actions::Column::Status, Expr::value(to.as_str()))
        .filter(actions::Column::OrganizationId.eq(ctx.org.as_str()))
        .filter(actions::Column::Id.eq(action.as_str()))
        .filter(actions::Column::Status.eq(from.as_str()))
        .exec(ctx.db().writer())
        .await?;
    Ok(())
}
