//! Bulk tags (seed 002, "Actions"; issue #19 point 4): a tag added to every customer of a
//! selection, as a job, and undone as a job.
//!
//! Each action is a row with the customers it ADDED the tag to: a customer who had the tag
//! already is not recorded, so undo removes exactly what the action added and nothing a person
//! or an import had put there. Tags change through ticketing's customer service, so every
//! change is a `customer.changed` event and the segment index follows.

pub mod store;

use chrono::{DateTime, Utc};
use fullhouse_core::jobs::{self, JobId, JobStatus, NewJob};
use fullhouse_core::tenancy::service::record_audit;
use fullhouse_core::{define_id, Caller, Db, Error, OrgId, Result};
use fullhouse_ticketing::model::customers::key;
use fullhouse_web::Lang;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::index::Registry;
use crate::jobs::tag::{TagPayload, TAG_JOB, UNTAG_JOB};
use crate::model::SegmentId;
use crate::selection::Selection;
use crate::service::SegmentService;
use store::segment_tag_actions as actions;

define_id!(
    /// One bulk tag of a segment's customers.
    TagActionId, "tga", "tag action"
);

/// Past actions a segment's page lists.
const LISTED: u64 = 50;
/// Attempts of a tag or untag job: each resumes where the last stopped.
const MAX_ATTEMPTS: i32 = 5;

/// Where an action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TagActionStatus {
    /// Its job is adding the tag.
    Tagging,
    /// Done; it can be undone.
    Tagged,
    /// Its undo job is removing the tags it added.
    Undoing,
    Undone,
}

impl TagActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tagging => "tagging",
            Self::Tagged => "tagged",
            Self::Undoing => "undoing",
            Self::Undone => "undone",
        }
    }

    fn parse(value: &str) -> Self {
        match value {
            "tagged" => Self::Tagged,
            "undoing" => Self::Undoing,
            "undone" => Self::Undone,
            _ => Self::Tagging,
        }
    }
}

/// A bulk tag as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagAction {
    pub id: TagActionId,
    pub segment_id: SegmentId,
    pub tag: String,
    pub selection: Selection,
    /// Who started it (a user or an API token).
    pub actor: Option<String>,
    pub status: TagActionStatus,
    pub job_id: Option<JobId>,
    pub undo_job_id: Option<JobId>,
    /// The selection's customers when it started.
    pub members: i64,
    /// Customers it added the tag to (those who had it are not counted).
    pub added: i64,
    /// Customers its undo removed the tag from.
    pub removed: i64,
    pub created_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
}

/// One tag of the organization, counted in the selection and in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TagCount {
    pub tag: String,
    /// Customers of the selection who have it.
    pub in_selection: i64,
    /// Customers who have it, in all.
    pub in_all: i64,
}

/// The tags beside a selection: what the tag page shows before "Apply".
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagOverview {
    /// Customers in the selection.
    pub members: i64,
    /// Every tag a customer has, by name.
    pub tags: Vec<TagCount>,
}

/// Starts, lists and undoes bulk tags.
#[derive(Clone)]
pub struct TagService {
    db: Db,
}

impl TagService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The organization's tags with how many of the selection's customers have each.
    pub async fn overview(
        &self,
        registry: &Registry,
        org: &OrgId,
        selection: &Selection,
        now: DateTime<Utc>,
    ) -> Result<TagOverview> {
        let members = SegmentService::new(self.db.clone())
            .members(registry, org, selection, now)
            .await?;
        let index = registry.index(org).await?;
        let tags = index
            .with(|index| index.tag_counts(&members.ids))?
            .into_iter()
            .map(|(tag, in_selection, in_all)| TagCount {
                tag,
                in_selection: count(in_selection),
                in_all: count(in_all),
            })
            .collect();
        Ok(TagOverview {
            members: count(members.len() as u64),
            tags,
        })
    }

    /// Records the action and queues its job in one transaction, with the audit row
    /// `segment.tagged` (subject: the job).
    pub async fn start(
        &self,
        registry: &Registry,
        caller: &Caller,
        selection: &Selection,
        tag: &str,
        now: DateTime<Utc>,
    ) -> Result<(TagAction, JobId)> {
        let tag = key("tag", tag)?;
        let org = &caller.org;
        let members = SegmentService::new(self.db.clone())
            .members(registry, org, selection, now)
            .await?;
        let id = TagActionId::generate();
        let lang = Lang::from_stored(&caller.language);
        let payload = TagPayload {
            action_id: id.clone(),
            language: lang.code().to_string(),
        };
        let mut new = NewJob::new(
            TAG_JOB,
            lang.t1("segments-tags-job-title", "tag", &tag),
            serde_json::to_value(&payload).map_err(|e| Error::internal(e.to_string()))?,
        );
        new.max_attempts = MAX_ATTEMPTS;
        new.created_by = Some(caller.actor());
        let txn = self.db.begin_write().await?;
        let job = jobs::enqueue(&txn, org, new).await?;
        actions::Entity::insert(actions::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id.to_string()),
            segment_id: Set(selection.segment_id.to_string()),
            tag: Set(tag.clone()),
            selection: Set(
                serde_json::to_value(selection).map_err(|e| Error::internal(e.to_string()))?
            ),
            actor: Set(Some(caller.actor())),
            status: Set(TagActionStatus::Tagging.as_str().to_string()),
            job_id: Set(Some(job.to_string())),
            undo_job_id: Set(None),
            members: Set(members.len() as i64),
            added: Set(0),
            removed: Set(0),
            created_at: Set(now),
            undone_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        members
            .audit(
                &txn,
                caller,
                "segment.tagged",
                job.as_str(),
                json!({ "tag": tag, "tag_action_id": id }),
            )
            .await?;
        txn.commit().await?;
        Ok((self.action(org, &id).await?, job))
    }

    /// Queues the undo of a finished action, with the audit row `segment.untagged`. 409 while
    /// its tag job still runs (it would add tags behind the undo) and once undone.
    pub async fn undo(
        &self,
        caller: &Caller,
        id: &TagActionId,
        now: DateTime<Utc>,
    ) -> Result<JobId> {
        let org = &caller.org;
        let action = self.action(org, id).await?;
        // A tag job that failed or was cancelled leaves its action `tagging`: what it added
        // before stopping can still be undone.
        let tag_job_ended = self.job_ended(org, action.job_id.as_ref()).await?;
        let from = match action.status {
            TagActionStatus::Tagged => TagActionStatus::Tagged,
            TagActionStatus::Tagging if tag_job_ended => TagActionStatus::Tagging,
            TagActionStatus::Tagging => {
                return Err(Error::conflict(
                    "status",
                    "the tag is still being added; undo it when its job has finished",
                ))
            }
            TagActionStatus::Undoing | TagActionStatus::Undone => {
                return Err(Error::conflict(
                    "status",
                    "this tag action is already undone",
                ))
            }
        };
        let lang = Lang::from_stored(&caller.language);
        let payload = TagPayload {
            action_id: id.clone(),
            language: lang.code().to_string(),
        };
        let mut new = NewJob::new(
            UNTAG_JOB,
            lang.t1("segments-tags-undo-job-title", "tag", &action.tag),
            serde_json::to_value(&payload).map_err(|e| Error::internal(e.to_string()))?,
        );
        new.max_attempts = MAX_ATTEMPTS;
        new.created_by = Some(caller.actor());
        let txn = self.db.begin_write().await?;
        let job = jobs::enqueue(&txn, org, new).await?;
        // Conditional on the status read above: two undos at once queue one job.
        let claimed = actions::Entity::update_many()
            .col_expr(
                actions::Column::Status,
                Expr::value(TagActionStatus::Undoing.as_str()),
            )
            .col_expr(actions::Column::UndoJobId, Expr::value(job.to_string()))
            .col_expr(actions::Column::UndoneAt, Expr::value(now))
            .filter(actions::Column::OrganizationId.eq(org.as_str()))
            .filter(actions::Column::Id.eq(id.as_str()))
            .filter(actions::Column::Status.eq(from.as_str()))
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 0 {
            return Err(Error::conflict(
                "status",
                "this tag action is already undone",
            ));
        }
        record_audit(
            &txn,
            caller,
            "segment.untagged",
            job.as_str(),
            json!({
                "segment_id": action.segment_id,
                "tag": action.tag,
                "tag_action_id": id,
                "customers": action.added,
            }),
        )
        .await?;
        txn.commit().await?;
        Ok(job)
    }

    async fn job_ended(&self, org: &OrgId, job: Option<&JobId>) -> Result<bool> {
        let Some(job) = job else { return Ok(true) };
        let status = jobs::store::jobs::Entity::find_by_id((org.to_string(), job.to_string()))
            .one(self.db.reader())
            .await?
            .map(|j| JobStatus::parse(&j.status))
            .transpose()?;
        // A job that is gone (cleaned up) has ended too.
        Ok(status.is_none_or(JobStatus::is_finished))
    }

    pub async fn action(&self, org: &OrgId, id: &TagActionId) -> Result<TagAction> {
        actions::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(self.db.reader())
            .await?
            .map(to_action)
            .transpose()?
            .ok_or(Error::NotFound("tag action"))
    }

    /// A segment's latest actions, newest first.
    pub async fn actions(&self, org: &OrgId, segment: &SegmentId) -> Result<Vec<TagAction>> {
        actions::Entity::find()
            .filter(actions::Column::OrganizationId.eq(org.as_str()))
            .filter(actions::Column::SegmentId.eq(segment.as_str()))
            .order_by_desc(actions::Column::CreatedAt)
            .order_by_desc(actions::Column::Id)
            .limit(LISTED)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(to_action)
            .collect()
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_action(row: actions::Model) -> Result<TagAction> {
    Ok(TagAction {
        id: TagActionId::from_db(row.id),
        segment_id: SegmentId::from_db(row.segment_id),
        tag: row.tag,
        selection: serde_json::from_value(row.selection)
            .map_err(|e| Error::internal(format!("a stored tag action's selection: {e}")))?,
        actor: row.actor,
        status: TagActionStatus::parse(&row.status),
        job_id: row.job_id.map(JobId::from_db),
        undo_job_id: row.undo_job_id.map(JobId::from_db),
        members: row.members,
        added: row.added,
        removed: row.removed,
        created_at: row.created_at,
        undone_at: row.undone_at,
    })
}
