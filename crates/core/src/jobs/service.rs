//! Enqueueing jobs (inside the caller's transaction), reading and cancelling them.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value;

use super::model::{Job, JobFile, JobId, JobStatus};
use super::store::jobs;
use crate::db::Db;
use crate::error::{is_unique_violation, Error, Result};
use crate::files::FileStore;
use crate::http::{Page, PageParams};
use crate::ids::OrgId;

/// A job to run.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Which handler runs it (`audience.import`, `mail.send`, `demo.count`).
    pub kind: String,
    pub title: String,
    pub payload: Value,
    pub max_attempts: i32,
    /// A second enqueue with the same key returns the first job instead of adding one.
    pub idempotency_key: Option<String>,
    pub created_by: Option<String>,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, title: impl Into<String>, payload: Value) -> Self {
        Self {
            kind: kind.into(),
            title: title.into(),
            payload,
            max_attempts: 3,
            idempotency_key: None,
            created_by: None,
        }
    }
}

/// Adds a job to the queue on `conn` — pass the transaction of the change that causes the job,
/// so that the change and its job are committed together or not at all.
pub async fn enqueue(conn: &impl ConnectionTrait, org: &OrgId, new: NewJob) -> Result<JobId> {
    if let Some(key) = &new.idempotency_key {
        if let Some(existing) = find_by_key(conn, org, key).await? {
            return Ok(JobId::from_db(existing.id));
        }
    }
    let now = Utc::now();
    let id = JobId::generate();
    let model = jobs::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        kind: Set(new.kind),
        title: Set(new.title),
        payload: Set(new.payload),
        status: Set(JobStatus::Queued.as_str().to_string()),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts.max(1)),
        run_after: Set(now),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        progress_done: Set(0),
        progress_total: Set(None),
        progress_message: Set(None),
        error: Set(None),
        files: Set(Value::Array(Vec::new())),
        cancel_requested: Set(false),
        idempotency_key: Set(new.idempotency_key.clone()),
        created_by: Set(new.created_by),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        result_link: Set(None),
    };
    match model.insert(conn).await {
        Ok(_) => Ok(id),
        Err(err) if is_unique_violation(&err) => {
            let key = new.idempotency_key.unwrap_or_default();
            let existing = find_by_key(conn, org, &key)
                .await?
                .ok_or(Error::Database(err))?;
            Ok(JobId::from_db(existing.id))
        }
        Err(err) => Err(err.into()),
    }
}

async fn find_by_key(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    key: &str,
) -> Result<Option<jobs::Model>> {
    Ok(jobs::Entity::find()
        .filter(jobs::Column::OrganizationId.eq(org.as_str()))
        .filter(jobs::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?)
}

/// Reads, lists and cancels an organization's jobs; serves their files.
#[derive(Clone)]
pub struct JobService {
    db: Db,
    files: FileStore,
}

impl JobService {
    pub fn new(db: Db, files: FileStore) -> Self {
        Self { db, files }
    }

    pub async fn get(&self, org: &OrgId, id: &JobId) -> Result<Job> {
        jobs::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("job"))
            .and_then(job_from)
    }

    /// Newest first: the Jobs page shows what just happened at the top.
    pub async fn list(&self, org: &OrgId, params: &PageParams) -> Result<Page<Job>> {
        let limit = params.limit()?;
        let mut select = jobs::Entity::find().filter(jobs::Column::OrganizationId.eq(org.as_str()));
        if let Some(before) = params.after() {
            select = select.filter(jobs::Column::Id.lt(before));
        }
        let rows = select
            .order_by_desc(jobs::Column::Id)
            .limit(limit + 1)
            .all(self.db.reader())
            .await?;
        let page = Page::from_rows(rows, limit, |m| m.id.clone());
        let items = page
            .items
            .into_iter()
            .map(job_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// A queued job is cancelled at once; a running one is asked to stop at its next progress
    /// report; a finished one is left as it is.
    pub async fn cancel(&self, org: &OrgId, id: &JobId) -> Result<Job> {
        let txn = self.db.begin_write().await?;
        let found = jobs::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("job"))?;
        let status = JobStatus::parse(&found.status)?;
        let mut active = found.into_active_model();
        match status {
            JobStatus::Queued => {
                active.status = Set(JobStatus::Cancelled.as_str().to_string());
                active.finished_at = Set(Some(Utc::now()));
                active.cancel_requested = Set(true);
            }
            JobStatus::Running => active.cancel_requested = Set(true),
            _ => {}
        }
        let saved = active.update(&txn).await?;
        txn.commit().await?;
        job_from(saved)
    }

    /// One of the job's result files, by name.
    pub async fn file(
        &self,
        org: &OrgId,
        id: &JobId,
        name: &str,
    ) -> Result<(JobFile, bytes::Bytes)> {
        let job = self.get(org, id).await?;
        let file = job
            .files
            .into_iter()
            .find(|f| f.name == name)
            .ok_or(Error::NotFound("file"))?;
        let bytes = self.files.get(&file.key).await?;
        Ok((file, bytes))
    }
}

pub(crate) fn files_of(value: &Value) -> Vec<JobFile> {
    serde_json::from_value::<Vec<StoredFile>>(value.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|f| JobFile {
            name: f.name,
            content_type: f.content_type,
            bytes: f.bytes,
            key: f.key,
        })
        .collect()
}

/// The JSON form of a file in the `files` column (the key is stored, not shown).
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredFile {
    pub name: String,
    pub content_type: String,
    pub bytes: u64,
    pub key: String,
}

pub(crate) fn job_from(m: jobs::Model) -> Result<Job> {
    Ok(Job {
        id: JobId::from_db(m.id),
        kind: m.kind,
        status: JobStatus::parse(&m.status)?,
        title: m.title,
        attempts: m.attempts,
        max_attempts: m.max_attempts,
        progress_done: m.progress_done,
        progress_total: m.progress_total,
        progress_message: m.progress_message,
        error: m.error,
        files: files_of(&m.files),
        cancel_requested: m.cancel_requested,
        created_by: m.created_by,
        created_at: m.created_at,
        started_at: m.started_at,
        finished_at: m.finished_at,
        link: m.result_link,
    })
}
