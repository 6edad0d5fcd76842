//! Workers: claim a due job with a lease, keep the lease alive with a heartbeat while the handler
//! runs, then record success, a retry with backoff, or the final failure.
//!
//! **A job whose process died while running it is not run again blindly.** Such a job keeps its
//! `running` status until its lease expires, with no recorded result; the process may have died
//! *because of* the job (a file that exhausts memory, a library that aborts), and taking it again
//! would crash every worker in turn. So when a worker finds it:
//! - a job of an ordinary kind fails at once with [`STOPPED_WHILE_RUNNING`] (the organizer can
//!   start it again from the Jobs page);
//! - a job of a kind registered with [`JobRegistry::register_resumable`] (work that reads no
//!   upload and resumes where it stopped, such as mail delivery) is queued again after the
//!   retry backoff, its attempt counted, until its attempts are spent.
//!
//! A graceful shutdown is not a crash: a job still running when the worker is told to stop gets
//! [`SHUTDOWN_GRACE`] to finish, then is given back to the queue (`queued`, attempt not counted)
//! for the next process to run.
//!
//! Every state change after the claim is conditional on `lease_owner = me`, so a worker that lost
//! its lease can never overwrite the new owner's work.
//! On PostgreSQL several processes share the queue: the claim is `SELECT … FOR UPDATE SKIP
//! LOCKED` then an update in one transaction. On SQLite the claim runs on the single write
//! connection, which serializes claims within the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use bytes::Bytes;
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::model::{backoff, JobId, JobStatus};
use super::service::{files_of, StoredFile};
use super::store::jobs;
use crate::db::{Backend, Db};
use crate::error::{Error, Result};
use crate::files::FileStore;
use crate::ids::OrgId;

/// Runs the jobs of one kind.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, ctx: &JobContext) -> Result<()>;
}

/// Why a job whose process died while running it was not run again.
pub const STOPPED_WHILE_RUNNING: &str = "the process running this job stopped while it ran — it \
     may be what stopped it (a file too large for the server's memory, for example); it was not \
     retried automatically; start it again from the Jobs page, after checking the file";

/// How long a running job may take to finish once the worker is told to stop.
pub const SHUTDOWN_GRACE: StdDuration = StdDuration::from_secs(10);

/// The most bytes of a job's error that are stored (the Jobs page and `GET /jobs` show it).
pub const MAX_ERROR_BYTES: usize = 64 * 1024;

/// Which handler runs which kind of job.
#[derive(Default, Clone)]
pub struct JobRegistry {
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    /// Kinds safe to take again after their process died (see the module's documentation).
    resumable: std::collections::HashSet<String>,
}

impl JobRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, kind: &str, handler: impl JobHandler) -> &mut Self {
        self.handlers.insert(kind.to_string(), Arc::new(handler));
        self
    }

    /// Registers a kind whose job is taken again (after a backoff) when its process died while
    /// running it: only for work that reads no uploaded file and resumes where it stopped.
    pub fn register_resumable(&mut self, kind: &str, handler: impl JobHandler) -> &mut Self {
        self.resumable.insert(kind.to_string());
        self.register(kind, handler)
    }

    fn handler(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }

    fn is_resumable(&self, kind: &str) -> bool {
        self.resumable.contains(kind)
    }
}

/// What a handler gets: the job's payload, and ways to report progress and attach files.
pub struct JobContext {
    pub org: OrgId,
    pub id: JobId,
    pub payload: Value,
    /// 1 on the first attempt.
    pub attempt: i32,
    db: Db,
    files: FileStore,
    owner: String,
    stop: CancellationToken,
    last_progress_write: Mutex<Option<Instant>>,
}

/// Progress is written at most this often (the last report of a job is always written).
const PROGRESS_INTERVAL: StdDuration = StdDuration::from_millis(200);

impl JobContext {
    /// The database, for handlers that write their results.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The file store, for handlers that read uploads.
    pub fn files(&self) -> &FileStore {
        &self.files
    }

    /// The language of whoever started the job (its payload's `notify`, else a top-level
    /// `language`), English when neither says: the job's progress and error are written in it
    /// (see [`crate::i18n`] for why jobs store text in their starter's language).
    pub fn lang(&self) -> crate::i18n::Lang {
        self.starter_lang().unwrap_or_default()
    }

    fn starter_lang(&self) -> Option<crate::i18n::Lang> {
        super::Notify::from_payload(&self.payload)
            .map(|n| n.language)
            .or_else(|| {
                self.payload
                    .get("language")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .map(|code| crate::i18n::Lang::from_stored(&code))
    }

    /// [`JobContext::lang`], or for a job nobody started (mail delivery) the organization's
    /// default language.
    pub async fn reader_lang(&self) -> crate::i18n::Lang {
        if let Some(lang) = self.starter_lang() {
            return lang;
        }
        crate::tenancy::store::organizations::Entity::find_by_id(self.org.to_string())
            .one(self.db.reader())
            .await
            .ok()
            .flatten()
            .map(|o| crate::i18n::Lang::from_stored(&o.default_language))
            .unwrap_or_default()
    }

    /// True once the job was cancelled or this worker lost its lease: stop soon.
    pub fn should_stop(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Reports progress. Returns an error when the job should stop, so handlers can `?` it.
    pub async fn progress(
        &self,
        done: i64,
        total: Option<i64>,
        message: Option<&str>,
    ) -> Result<()> {
        if self.should_stop() {
            return Err(Error::Conflict {
                message: "the job was cancelled".into(),
                field: None,
            });
        }
        let finished = total.is_some_and(|t| done >= t);
        let due = {
            let mut last = self
                .last_progress_write
                .lock()
                .map_err(|_| Error::internal("progress lock poisoned"))?;
            let due = finished || last.is_none_or(|at| at.elapsed() >= PROGRESS_INTERVAL);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if !due {
            return Ok(());
        }
        let updated = jobs::Entity::update_many()
            .col_expr(jobs::Column::ProgressDone, Expr::value(done))
            .col_expr(jobs::Column::ProgressTotal, Expr::value(total))
            .col_expr(
                jobs::Column::ProgressMessage,
                Expr::value(message.map(str::to_string)),
            )
            .filter(self.mine())
            .exec(self.db.writer())
            .await?;
        if updated.rows_affected == 0 {
            self.stop.cancel();
            return Err(Error::Conflict {
                message: "this worker lost the job's lease".into(),
                field: None,
            });
        }
        Ok(())
    }

    /// Stores a result file (an export, a rejected-rows file) and lists it on the job.
    pub async fn attach_file(&self, name: &str, content_type: &str, bytes: Bytes) -> Result<()> {
        let key = self.file_key(name);
        let size = bytes.len() as u64;
        self.files.put(&key, bytes).await?;
        self.list_file(name, content_type, size, key).await
    }

    /// Stores a result file from a local file, streamed in parts (a large export: see
    /// [`FileStore::put_file`]), and lists it on the job.
    pub async fn attach_path(
        &self,
        name: &str,
        content_type: &str,
        path: &std::path::Path,
    ) -> Result<()> {
        let key = self.file_key(name);
        let size = self.files.put_file(&key, path).await?;
        self.list_file(name, content_type, size, key).await
    }

    fn file_key(&self, name: &str) -> String {
        format!("jobs/{}/{}/{}", self.org, self.id, sanitize(name))
    }

    /// Points the job at the page of what it made (a path on this site, e.g. the audience an
    /// import filled), for the Jobs page and the API.
    pub async fn set_link(&self, link: &str) -> Result<()> {
        jobs::Entity::update_many()
            .col_expr(
                jobs::Column::ResultLink,
                Expr::value(Some(link.to_string())),
            )
            .filter(self.mine())
            .exec(self.db.writer())
            .await?;
        Ok(())
    }

    /// Lists a stored file on the job, replacing a file of the same name.
    async fn list_file(
        &self,
        name: &str,
        content_type: &str,
        size: u64,
        key: String,
    ) -> Result<()> {
        let txn = self.db.begin_write().await?;
        let job = jobs::Entity::find_by_id((self.org.to_string(), self.id.to_string()))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("job"))?;
        let mut files: Vec<StoredFile> = files_of(&job.files)
            .into_iter()
            .filter(|f| f.name != name)
            .map(|f| StoredFile {
                name: f.name,
                content_type: f.content_type,
                bytes: f.bytes,
                key: f.key,
            })
            .collect();
        files.push(StoredFile {
            name: name.to_string(),
            content_type: content_type.to_string(),
            bytes: size,
            key,
        });
        let value = serde_json::to_value(files).map_err(Error::internal)?;
        jobs::Entity::update_many()
            .col_expr(jobs::Column::Files, Expr::value(value))
            .filter(self.mine())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// This job, still leased by this worker.
    fn mine(&self) -> Condition {
        Condition::all()
            .add(jobs::Column::OrganizationId.eq(self.org.as_str()))
            .add(jobs::Column::Id.eq(self.id.as_str()))
            .add(jobs::Column::LeaseOwner.eq(self.owner.as_str()))
            .add(jobs::Column::Status.eq(JobStatus::Running.as_str()))
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Claims and runs jobs.
#[derive(Clone)]
pub struct Worker {
    db: Db,
    files: FileStore,
    registry: Arc<JobRegistry>,
    owner: String,
    lease: Duration,
    poll: StdDuration,
    /// The server's public address, for links in "job finished" mails.
    public_url: String,
}

impl Worker {
    pub fn new(db: Db, files: FileStore, registry: JobRegistry) -> Self {
        let owner = format!("{}-{}", std::process::id(), ulid::Ulid::new());
        Self {
            db,
            files,
            registry: Arc::new(registry),
            owner,
            lease: Duration::seconds(30),
            poll: StdDuration::from_millis(500),
            public_url: String::new(),
        }
    }

    pub fn with_public_url(mut self, public_url: &str) -> Self {
        self.public_url = public_url.to_string();
        self
    }

    /// Shorter leases make tests of crash recovery fast.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub fn with_poll_interval(mut self, poll: StdDuration) -> Self {
        self.poll = poll;
        self
    }

    /// Runs `concurrency` claim loops until `shutdown`; a loop finishes its current job first.
    pub async fn run(&self, concurrency: usize, shutdown: CancellationToken) {
        let mut loops = Vec::new();
        for _ in 0..concurrency.max(1) {
            let worker = self.clone();
            let shutdown = shutdown.clone();
            loops.push(tokio::spawn(
                async move { worker.claim_loop(shutdown).await },
            ));
        }
        for handle in loops {
            let _ = handle.await;
        }
    }

    async fn claim_loop(&self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.run_next_until(&shutdown).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(err) => tracing::warn!(error = ?err, "job worker could not claim a job"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Runs every due job until none is left (tests: deterministic background work).
    pub async fn run_until_idle(&self) -> Result<usize> {
        let mut ran = 0;
        while self.run_next().await? {
            ran += 1;
        }
        Ok(ran)
    }

    /// Claims one due job and runs it. `false` when no job is due.
    pub async fn run_next(&self) -> Result<bool> {
        self.run_next_until(&CancellationToken::new()).await
    }

    /// Claims one due job and runs it; gives it back to the queue when `shutdown` comes first
    /// and the job does not finish within [`SHUTDOWN_GRACE`].
    pub async fn run_next_until(&self, shutdown: &CancellationToken) -> Result<bool> {
        let Some(job) = self.claim().await? else {
            return Ok(false);
        };
        self.execute(job, shutdown).await?;
        Ok(true)
    }

    async fn claim(&self) -> Result<Option<jobs::Model>> {
        loop {
            match self.claim_one().await? {
                Claim::Job(job) => return Ok(Some(*job)),
                Claim::Nothing => return Ok(None),
                // A job of a dead process was settled: look for the next due job.
                Claim::Settled => continue,
            }
        }
    }

    async fn claim_one(&self) -> Result<Claim> {
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let due = Condition::any()
            .add(
                Condition::all()
                    .add(jobs::Column::Status.eq(JobStatus::Queued.as_str()))
                    .add(jobs::Column::RunAfter.lte(now)),
            )
            .add(
                Condition::all()
                    .add(jobs::Column::Status.eq(JobStatus::Running.as_str()))
                    .add(jobs::Column::LeaseExpiresAt.lt(now)),
            );
        let mut select = jobs::Entity::find()
            .filter(due)
            .order_by_asc(jobs::Column::RunAfter)
            .limit(1);
        if self.db.backend() == Backend::Postgres {
            select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let Some(job) = select.one(&txn).await? else {
            txn.commit().await?;
            return Ok(Claim::Nothing);
        };
        let key = Condition::all()
            .add(jobs::Column::OrganizationId.eq(job.organization_id.as_str()))
            .add(jobs::Column::Id.eq(job.id.as_str()));
        let died_running = job.status == JobStatus::Running.as_str();
        if died_running {
            let resumable = self.registry.is_resumable(&job.kind);
            let error = if resumable && job.attempts < job.max_attempts {
                None
            } else if resumable {
                Some("the process running the last attempt stopped before it finished")
            } else {
                Some(STOPPED_WHILE_RUNNING)
            };
            tracing::warn!(
                job = %job.id, kind = %job.kind, attempt = job.attempts,
                "the process running this job stopped while it ran"
            );
            let mut update = jobs::Entity::update_many()
                .col_expr(
                    jobs::Column::LeaseOwner,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    jobs::Column::LeaseExpiresAt,
                    Expr::value(Option::<chrono::DateTime<Utc>>::None),
                );
            update = match error {
                // Resumable: queued again after the backoff, like a failed attempt.
                None => update
                    .col_expr(
                        jobs::Column::Status,
                        Expr::value(JobStatus::Queued.as_str()),
                    )
                    .col_expr(
                        jobs::Column::RunAfter,
                        Expr::value(now + backoff(job.attempts)),
                    )
                    .col_expr(
                        jobs::Column::Error,
                        Expr::value(format!(
                            "the process running attempt {} stopped while it ran; taken again \
                             after a pause",
                            job.attempts
                        )),
                    ),
                Some(error) => update
                    .col_expr(
                        jobs::Column::Status,
                        Expr::value(JobStatus::Failed.as_str()),
                    )
                    .col_expr(jobs::Column::Error, Expr::value(error))
                    .col_expr(jobs::Column::FinishedAt, Expr::value(now)),
            };
            update.filter(key).exec(&txn).await?;
            txn.commit().await?;
            return Ok(Claim::Settled);
        }
        jobs::Entity::update_many()
            .col_expr(
                jobs::Column::Status,
                Expr::value(JobStatus::Running.as_str()),
            )
            .col_expr(jobs::Column::LeaseOwner, Expr::value(self.owner.as_str()))
            .col_expr(jobs::Column::LeaseExpiresAt, Expr::value(now + self.lease))
            .col_expr(jobs::Column::Attempts, Expr::value(job.attempts + 1))
            .col_expr(
                jobs::Column::StartedAt,
                Expr::value(job.started_at.unwrap_or(now)),
            )
            .filter(key)
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Claim::Job(Box::new(jobs::Model {
            attempts: job.attempts + 1,
            ..job
        })))
    }

    async fn execute(&self, job: jobs::Model, shutdown: &CancellationToken) -> Result<()> {
        let ctx = Arc::new(JobContext {
            org: OrgId::from_db(job.organization_id.clone()),
            id: JobId::from_db(job.id.clone()),
            payload: job.payload.clone(),
            attempt: job.attempts,
            db: self.db.clone(),
            files: self.files.clone(),
            owner: self.owner.clone(),
            stop: CancellationToken::new(),
            last_progress_write: Mutex::new(None),
        });
        if job.cancel_requested {
            return self.settle(&ctx, Outcome::Cancelled).await;
        }
        let Some(handler) = self.registry.handler(&job.kind) else {
            let error = crate::i18n::Msg::new("engine-job-no-handler")
                .arg("kind", &job.kind)
                .render(ctx.lang());
            return self
                .settle(
                    &ctx,
                    Outcome::Failed {
                        error,
                        retry: false,
                    },
                )
                .await;
        };
        // Aborted when this future ends or is dropped, so a dead attempt stops renewing its lease.
        let _heartbeat = AbortOnDrop(tokio::spawn(heartbeat(ctx.clone(), self.lease)));
        let run = handler.run(&ctx);
        tokio::pin!(run);
        let finished = tokio::select! {
            result = &mut run => Some(result),
            _ = shutdown.cancelled() => {
                tokio::time::timeout(SHUTDOWN_GRACE, &mut run).await.ok()
            }
        };
        let Some(result) = finished else {
            // Shutting down, not crashing: the attempt is given back uncounted.
            return self.release(&ctx).await;
        };
        let outcome = match result {
            _ if ctx.should_stop() => Outcome::Cancelled,
            Ok(()) => Outcome::Succeeded,
            Err(err) => {
                tracing::warn!(job = %ctx.id, kind = %job.kind, error = ?err, "job attempt failed");
                // Bad input (a file with bad rows) fails the same way every time: no retry.
                let permanent = err.code() == crate::error::ErrorCode::Validation;
                Outcome::Failed {
                    error: stored_error(err.public_message()),
                    retry: !permanent && job.attempts < job.max_attempts,
                }
            }
        };
        self.settle(&ctx, outcome).await
    }

    /// Gives a job back to the queue at shutdown: queued, due now, its attempt not counted.
    async fn release(&self, ctx: &JobContext) -> Result<()> {
        jobs::Entity::update_many()
            .col_expr(
                jobs::Column::Status,
                Expr::value(JobStatus::Queued.as_str()),
            )
            .col_expr(
                jobs::Column::LeaseOwner,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                jobs::Column::LeaseExpiresAt,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::Attempts, Expr::value(ctx.attempt - 1))
            .col_expr(jobs::Column::RunAfter, Expr::value(Utc::now()))
            .filter(ctx.mine())
            .exec(self.db.writer())
            .await?;
        tracing::info!(job = %ctx.id, "shutting down: the running job was given back to the queue");
        Ok(())
    }

    /// Records how the attempt ended, if this worker still holds the lease.
    async fn settle(&self, ctx: &JobContext, outcome: Outcome) -> Result<()> {
        let now = Utc::now();
        let ending = match &outcome {
            Outcome::Succeeded => Some((JobStatus::Succeeded, None)),
            Outcome::Cancelled => Some((JobStatus::Cancelled, None)),
            Outcome::Failed {
                error,
                retry: false,
            } => Some((JobStatus::Failed, Some(error.clone()))),
            Outcome::Failed { retry: true, .. } => None,
        };
        let mut update = jobs::Entity::update_many()
            .col_expr(
                jobs::Column::LeaseOwner,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                jobs::Column::LeaseExpiresAt,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            );
        update = match outcome {
            Outcome::Succeeded => update
                .col_expr(
                    jobs::Column::Status,
                    Expr::value(JobStatus::Succeeded.as_str()),
                )
                .col_expr(jobs::Column::Error, Expr::value(Option::<String>::None))
                .col_expr(jobs::Column::FinishedAt, Expr::value(now)),
            Outcome::Cancelled => update
                .col_expr(
                    jobs::Column::Status,
                    Expr::value(JobStatus::Cancelled.as_str()),
                )
                .col_expr(jobs::Column::FinishedAt, Expr::value(now)),
            Outcome::Failed { error, retry: true } => update
                .col_expr(
                    jobs::Column::Status,
                    Expr::value(JobStatus::Queued.as_str()),
                )
                .col_expr(jobs::Column::Error, Expr::value(error))
                .col_expr(
                    jobs::Column::RunAfter,
                    Expr::value(now + backoff(ctx.attempt)),
                ),
            Outcome::Failed {
                error,
                retry: false,
            } => update
                .col_expr(
                    jobs::Column::Status,
                    Expr::value(JobStatus::Failed.as_str()),
                )
                .col_expr(jobs::Column::Error, Expr::value(error))
                .col_expr(jobs::Column::FinishedAt, Expr::value(now)),
        };
        // A cancelled job may have been asked to stop by the lease check itself; match on the
        // owner only, whatever the status says now.
        let mine = Condition::all()
            .add(jobs::Column::OrganizationId.eq(ctx.org.as_str()))
            .add(jobs::Column::Id.eq(ctx.id.as_str()))
            .add(jobs::Column::LeaseOwner.eq(ctx.owner.as_str()));
        let txn = self.db.begin_write().await?;
        let settled = update.filter(mine).exec(&txn).await?.rows_affected > 0;
        let notify = super::notify::Notify::from_payload(&ctx.payload);
        if let (true, Some((status, error)), Some(notify)) = (settled, ending, notify) {
            let title = jobs::Entity::find()
                .filter(jobs::Column::OrganizationId.eq(ctx.org.as_str()))
                .filter(jobs::Column::Id.eq(ctx.id.as_str()))
                .one(&txn)
                .await?
                .map(|job| job.title)
                .unwrap_or_default();
            let ending = super::notify::Ending {
                job_id: ctx.id.as_str(),
                title: &title,
                status,
                error: error.as_deref(),
            };
            super::notify::queue_job_finished(
                &self.db,
                &txn,
                &ctx.org,
                &notify,
                ending,
                &self.public_url,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Claim {
    Job(Box<jobs::Model>),
    Nothing,
    /// A job of a process that died was failed or queued again.
    Settled,
}

/// An error as stored on a job: at most [`MAX_ERROR_BYTES`], cut at a character boundary.
fn stored_error(mut error: String) -> String {
    if error.len() > MAX_ERROR_BYTES {
        let mut end = MAX_ERROR_BYTES;
        while !error.is_char_boundary(end) {
            end -= 1;
        }
        error.truncate(end);
        error.push_str("\n… (cut: the error is longer than 64 KiB)");
    }
    error
}

enum Outcome {
    Succeeded,
    Cancelled,
    Failed { error: String, retry: bool },
}

/// Renews the lease every third of its length; notices cancellation and a lost lease.
async fn heartbeat(ctx: Arc<JobContext>, lease: Duration) {
    let period = lease.to_std().unwrap_or(StdDuration::from_secs(30)) / 3;
    loop {
        tokio::time::sleep(period).await;
        let renewed = jobs::Entity::update_many()
            .col_expr(
                jobs::Column::LeaseExpiresAt,
                Expr::value(Utc::now() + lease),
            )
            .filter(ctx.mine())
            .exec(ctx.db.writer())
            .await;
        match renewed {
            Ok(result) if result.rows_affected == 0 => {
                ctx.stop.cancel();
                return;
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(job = %ctx.id, error = ?err, "renewing a job lease failed"),
        }
        let cancel_requested = jobs::Entity::find_by_id((ctx.org.to_string(), ctx.id.to_string()))
            .one(ctx.db.reader())
            .await
            .ok()
            .flatten()
            .is_some_and(|job| job.cancel_requested);
        if cancel_requested {
            ctx.stop.cancel();
            return;
        }
    }
}
