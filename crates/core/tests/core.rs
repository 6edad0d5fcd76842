//! The platform's integration tests, on SQLite and PostgreSQL: the job queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use fullhouse_core::files::FileStore;
use fullhouse_core::jobs::{
    self, JobContext, JobHandler, JobRegistry, JobService, JobStatus, NewJob, Worker,
};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Backend, Error, OrgId, Result};
use fullhouse_testkit::{both_backends, TestDb};

struct Fixture {
    test_db: TestDb,
    org: OrgId,
    files: FileStore,
    _dir: tempfile::TempDir,
}

async fn fixture(backend: Backend) -> Option<Fixture> {
    let test_db = TestDb::new(backend, fullhouse_core::migrations::migrations()).await?;
    let org = TenancyService::new(test_db.db.clone())
        .create_organization(NewOrganization {
            name: "Jobs".into(),
            slug: "jobs".into(),
            default_language: "en".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .expect("organization")
        .id;
    let dir = tempfile::tempdir().expect("temp dir");
    let files = FileStore::local(dir.path()).expect("file store");
    Some(Fixture {
        test_db,
        org,
        files,
        _dir: dir,
    })
}

impl Fixture {
    fn worker(&self, registry: JobRegistry) -> Worker {
        Worker::new(self.test_db.db.clone(), self.files.clone(), registry)
    }

    fn service(&self) -> JobService {
        JobService::new(self.test_db.db.clone(), self.files.clone())
    }

    async fn enqueue(&self, kind: &str, payload: serde_json::Value) -> jobs::JobId {
        let txn = self.test_db.db.begin_write().await.expect("txn");
        let id = jobs::enqueue(&txn, &self.org, NewJob::new(kind, kind, payload))
            .await
            .expect("enqueue");
        txn.commit().await.expect("commit");
        id
    }
}

/// Counts to `steps`, reporting progress, and writes a result file.
struct Counter {
    runs: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl JobHandler for Counter {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        let steps = ctx.payload["steps"].as_i64().unwrap_or(3);
        for done in 1..=steps {
            ctx.progress(done, Some(steps), Some("counting")).await?;
        }
        ctx.attach_file(
            "result.csv",
            "text/csv",
            bytes::Bytes::from_static(b"n\n3\n"),
        )
        .await
    }
}

/// Fails every attempt, the way a passing outage does (worth retrying).
struct AlwaysFails;

#[async_trait::async_trait]
impl JobHandler for AlwaysFails {
    async fn run(&self, _ctx: &JobContext) -> Result<()> {
        Err(Error::Conflict {
            message: "the SMTP server said no".into(),
            field: None,
        })
    }
}

/// Refuses its input: retrying cannot make bad rows good.
struct RefusesInput;

#[async_trait::async_trait]
impl JobHandler for RefusesInput {
    async fn run(&self, _ctx: &JobContext) -> Result<()> {
        Err(Error::invalid_fields(vec![
            fullhouse_core::FieldError::at_row(2, "Quantity", "must be 1 or more"),
        ]))
    }
}

/// Fails with a 50 MB message, the way an error quoting a huge cell would.
struct HugeError;

#[async_trait::async_trait]
impl JobHandler for HugeError {
    async fn run(&self, _ctx: &JobContext) -> Result<()> {
        Err(Error::invalid("file", "é".repeat(25 << 20)))
    }
}

/// Waits until the job is cancelled.
struct WaitsForever;

#[async_trait::async_trait]
impl JobHandler for WaitsForever {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        loop {
            ctx.progress(0, None, Some("waiting")).await?;
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
    }
}

both_backends! {
    setup = fixture;

    async fn a_job_runs_to_success_with_progress_and_a_result_file(fx: Fixture) {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut registry = JobRegistry::new();
        registry.register("count", Counter { runs: runs.clone() });
        let id = fx.enqueue("count", serde_json::json!({"steps": 5})).await;
        let ran = fx.worker(registry).run_until_idle().await.expect("runs");
        assert_eq!(ran, 1);
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        assert_eq!(job.status, JobStatus::Succeeded);
        assert_eq!((job.progress_done, job.progress_total, job.percent()), (5, Some(5), Some(100)));
        assert_eq!(job.attempts, 1);
        let (file, bytes) = fx.service().file(&fx.org, &id, "result.csv").await.expect("file");
        assert_eq!((file.content_type.as_str(), &bytes[..]), ("text/csv", &b"n\n3\n"[..]));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        fx.test_db.finish().await;
    }

    async fn rows_inserted_together_read_back_as_a_one_row_insert_stores_them(fx: Fixture) {
        use chrono::TimeZone;
        use fullhouse_core::tenancy::store::domain_events as rows;
        use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
        let db = &fx.test_db.db;
        let at = chrono::Utc.timestamp_opt(1_795_000_000, 123_456_789).single().expect("time");
        let row = |subject: &str, payload: serde_json::Value| rows::ActiveModel {
            seq: sea_orm::NotSet,
            organization_id: Set(fx.org.to_string()),
            kind: Set("test.rows".into()),
            subject_id: Set(subject.into()),
            payload: Set(payload),
            created_at: Set(at),
        };
        let payload = serde_json::json!({"name": "Æblegrød \"quoted\" \\ back", "n": 3, "none": null, "list": [1, {"deep": true}]});
        // The one-row path (the query builder's own insert), then the same rows together.
        row("alone", payload.clone()).insert(db.writer()).await.expect("one row");
        let together: Vec<rows::ActiveModel> = (0..3).map(|i| row(&format!("together-{i}"), payload.clone())).collect();
        fullhouse_core::db::insert_rows(db.writer(), together).await.expect("rows together");
        let stored = rows::Entity::find().order_by_asc(rows::Column::Seq).all(db.reader()).await.expect("read");
        let stored: Vec<&rows::Model> = stored.iter().filter(|r| r.kind == "test.rows").collect();
        let subjects: Vec<&str> = stored.iter().map(|r| r.subject_id.as_str()).collect();
        assert_eq!(subjects, ["alone", "together-0", "together-1", "together-2"], "in the order given");
        let alone = stored.first().expect("the one-row insert");
        for together in stored.iter().skip(1) {
            assert_eq!((&together.payload, together.created_at), (&alone.payload, alone.created_at));
            assert!(together.seq > alone.seq, "the sequence still numbers them");
        }
        assert_eq!(alone.payload, payload);
        assert!((alone.created_at - at).num_microseconds().is_some_and(|us| us.abs() < 1));
        fx.test_db.finish().await;
    }

    async fn a_job_enqueued_in_a_rolled_back_transaction_never_exists(fx: Fixture) {
        let txn = fx.test_db.db.begin_write().await.expect("txn");
        let id = jobs::enqueue(&txn, &fx.org, NewJob::new("count", "count", serde_json::json!({}))).await.expect("enqueue");
        txn.rollback().await.expect("rollback");
        assert!(matches!(fx.service().get(&fx.org, &id).await, Err(Error::NotFound(_))));
        fx.test_db.finish().await;
    }

    async fn a_failing_job_is_retried_with_backoff_then_marked_failed_with_its_error(fx: Fixture) {
        let mut registry = JobRegistry::new();
        registry.register("fails", AlwaysFails);
        let id = fx.enqueue("fails", serde_json::json!({})).await;
        let worker = fx.worker(registry);
        assert_eq!(worker.run_until_idle().await.expect("first attempt"), 1);
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        assert_eq!((job.status, job.attempts), (JobStatus::Queued, 1), "waits for its backoff");
        assert!(job.error.as_deref().unwrap_or_default().contains("SMTP"));
        // Make the retries due now instead of waiting for the backoff.
        for _ in 0..2 {
            make_due(&fx).await;
            worker.run_until_idle().await.expect("retry");
        }
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        assert_eq!((job.status, job.attempts), (JobStatus::Failed, 3));
        assert!(job.finished_at.is_some());
        fx.test_db.finish().await;
    }

    async fn a_job_that_refuses_its_input_fails_at_once_without_retries(fx: Fixture) {
        let mut registry = JobRegistry::new();
        registry.register("refuses", RefusesInput);
        let id = fx.enqueue("refuses", serde_json::json!({})).await;
        let worker = fx.worker(registry);
        assert_eq!(worker.run_until_idle().await.expect("one attempt"), 1);
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        assert_eq!((job.status, job.attempts), (JobStatus::Failed, 1));
        assert!(job.error.as_deref().unwrap_or_default().contains("row 2, Quantity"), "{:?}", job.error);
        fx.test_db.finish().await;
    }

    async fn cancelling_stops_a_queued_job_at_once_and_a_running_one_at_its_next_report(fx: Fixture) {
        let queued = fx.enqueue("wait", serde_json::json!({})).await;
        let job = fx.service().cancel(&fx.org, &queued).await.expect("cancel");
        assert_eq!(job.status, JobStatus::Cancelled);

        let running = fx.enqueue("wait", serde_json::json!({})).await;
        let mut registry = JobRegistry::new();
        registry.register("wait", WaitsForever);
        let worker = fx.worker(registry).with_lease(Duration::seconds(3));
        let run = tokio::spawn(async move { worker.run_next().await });
        wait_for_status(&fx, &running, JobStatus::Running).await;
        fx.service().cancel(&fx.org, &running).await.expect("cancel");
        tokio::time::timeout(StdDuration::from_secs(10), run).await.expect("stops").expect("joins").expect("runs");
        assert_eq!(fx.service().get(&fx.org, &running).await.expect("job").status, JobStatus::Cancelled);
        fx.test_db.finish().await;
    }

    async fn a_job_whose_process_died_while_running_it_fails_at_once_and_is_not_run_again(fx: Fixture) {
        let id = fx.enqueue("count", serde_json::json!({"steps": 2})).await;
        let mut stuck = JobRegistry::new();
        stuck.register("count", WaitsForever);
        let dying = fx.worker(stuck).with_lease(Duration::seconds(1));
        let run = tokio::spawn(async move { dying.run_next().await });
        wait_for_status(&fx, &id, JobStatus::Running).await;
        run.abort(); // the worker dies mid-job: no more heartbeats, no final state
        let _ = run.await;
        let other = fx.enqueue("count", serde_json::json!({"steps": 1})).await;
        let runs = Arc::new(AtomicUsize::new(0));
        let mut registry = JobRegistry::new();
        registry.register("count", Counter { runs: runs.clone() });
        let next = fx.worker(registry);
        assert_eq!(next.run_until_idle().await.expect("the other job"), 1, "the lease still holds");
        tokio::time::sleep(StdDuration::from_millis(1_200)).await;
        assert_eq!(next.run_until_idle().await.expect("settled, not run"), 0);
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        assert_eq!((job.status, job.attempts), (JobStatus::Failed, 1));
        assert_eq!(job.error.as_deref(), Some(jobs::worker::STOPPED_WHILE_RUNNING));
        assert!(job.finished_at.is_some());
        assert_eq!(runs.load(Ordering::SeqCst), 1, "only the other job ran");
        assert_eq!(fx.service().get(&fx.org, &other).await.expect("job").status, JobStatus::Succeeded);
        fx.test_db.finish().await;
    }

    async fn a_resumable_job_whose_process_died_is_taken_again_after_a_backoff(fx: Fixture) {
        let id = fx.enqueue("count", serde_json::json!({"steps": 2})).await;
        let mut stuck = JobRegistry::new();
        stuck.register_resumable("count", WaitsForever);
        let dying = fx.worker(stuck).with_lease(Duration::seconds(1));
        let run = tokio::spawn(async move { dying.run_next().await });
        wait_for_status(&fx, &id, JobStatus::Running).await;
        run.abort();
        let _ = run.await;
        let runs = Arc::new(AtomicUsize::new(0));
        let mut registry = JobRegistry::new();
        registry.register_resumable("count", Counter { runs: runs.clone() });
        let rescuer = fx.worker(registry);
        tokio::time::sleep(StdDuration::from_millis(1_200)).await;
        assert_eq!(rescuer.run_until_idle().await.expect("queued, not run yet"), 0, "it waits out the backoff");
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        assert_eq!((job.status, job.attempts), (JobStatus::Queued, 1));
        make_due(&fx).await;
        assert_eq!(rescuer.run_until_idle().await.expect("taken again"), 1);
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
        fx.test_db.finish().await;
    }

    async fn a_job_running_at_shutdown_is_given_back_to_the_queue_uncounted(fx: Fixture) {
        let id = fx.enqueue("count", serde_json::json!({"steps": 2})).await;
        let mut stuck = JobRegistry::new();
        stuck.register("count", WaitsForever);
        let worker = fx.worker(stuck).with_lease(Duration::seconds(3));
        let shutdown = tokio_util::sync::CancellationToken::new();
        let stop = shutdown.clone();
        let run = tokio::spawn(async move { worker.run(1, stop).await });
        wait_for_status(&fx, &id, JobStatus::Running).await;
        shutdown.cancel();
        let grace = jobs::worker::SHUTDOWN_GRACE + StdDuration::from_secs(5);
        tokio::time::timeout(grace, run).await.expect("stops").expect("joins");
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        assert_eq!((job.status, job.attempts), (JobStatus::Queued, 0), "{job:?}");
        let runs = Arc::new(AtomicUsize::new(0));
        let mut registry = JobRegistry::new();
        registry.register("count", Counter { runs: runs.clone() });
        assert_eq!(fx.worker(registry).run_until_idle().await.expect("runs"), 1);
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 1));
        fx.test_db.finish().await;
    }

    async fn a_huge_error_is_stored_cut_to_64_kib(fx: Fixture) {
        let id = fx.enqueue("huge", serde_json::json!({})).await;
        let mut registry = JobRegistry::new();
        registry.register("huge", HugeError);
        fx.worker(registry).run_until_idle().await.expect("runs");
        let job = fx.service().get(&fx.org, &id).await.expect("job");
        let error = job.error.unwrap_or_default();
        assert_eq!(job.status, JobStatus::Failed);
        assert!(error.len() < 65 * 1024 && error.ends_with("longer than 64 KiB)"), "{} bytes", error.len());
        fx.test_db.finish().await;
    }

    async fn an_idempotency_key_enqueues_once(fx: Fixture) {
        let mut ids = Vec::new();
        for _ in 0..3 {
            let txn = fx.test_db.db.begin_write().await.expect("txn");
            let mut new = NewJob::new("count", "count", serde_json::json!({}));
            new.idempotency_key = Some("import-file-abc".into());
            ids.push(jobs::enqueue(&txn, &fx.org, new).await.expect("enqueue"));
            txn.commit().await.expect("commit");
        }
        assert!(ids.windows(2).all(|w| w[0] == w[1]));
        fx.test_db.finish().await;
    }
}

async fn make_due(fx: &Fixture) {
    use sea_orm::ConnectionTrait;
    fx.test_db
        .db
        .writer()
        .execute_unprepared(
            "UPDATE jobs SET run_after = '2000-01-01T00:00:00Z' WHERE status = 'queued'",
        )
        .await
        .expect("make due");
}

async fn wait_for_status(fx: &Fixture, id: &jobs::JobId, status: JobStatus) {
    for _ in 0..200 {
        if fx.service().get(&fx.org, id).await.map(|j| j.status).ok() == Some(status) {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    panic!("job {id} never reached {status:?}");
}

/// A real S3-compatible server on loopback (moto, from PyPI) with one bucket.
struct S3Server {
    child: std::process::Child,
    endpoint: String,
}

impl S3Server {
    fn start(bucket: &str) -> Option<S3Server> {
        let installed = std::process::Command::new("python3")
            .args(["-c", "import moto.server, boto3"])
            .status();
        if !installed.is_ok_and(|s| s.success()) {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "moto is needed: python3 -m pip install 'moto[server]'"
            );
            eprintln!("*** SKIPPING the S3 test: moto is not installed ***");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(err) => panic!("starting python3 -m moto.server: {err}"),
        };
        let endpoint = format!("http://127.0.0.1:{port}");
        let server = S3Server { child, endpoint };
        let deadline = std::time::Instant::now() + StdDuration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto_server did not start"
            );
            std::thread::sleep(StdDuration::from_millis(100));
        }
        let created = std::process::Command::new("python3")
            .args(["-c", &format!(
                "import boto3; boto3.client('s3', endpoint_url='{}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test').create_bucket(Bucket='{bucket}')",
                server.endpoint
            )])
            .status()
            .expect("python3");
        assert!(created.success(), "creating the bucket failed");
        Some(server)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Result files go to S3-compatible storage when `s3://` is configured, and come back through
/// the same API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_result_files_are_kept_in_an_s3_compatible_store() {
    let Some(s3) = S3Server::start("fullhouse-files") else {
        return;
    };
    // SAFETY of the environment: only S3 clients read these, and this is the only S3 test.
    for (key, value) in [
        ("AWS_ENDPOINT", s3.endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        std::env::set_var(key, value);
    }
    let files = FileStore::from_url("s3://fullhouse-files").expect("S3 store");
    let Some(mut fx) = fixture(Backend::Sqlite).await else {
        return;
    };
    fx.files = files;
    let mut registry = JobRegistry::new();
    registry.register(
        "count",
        Counter {
            runs: Arc::new(AtomicUsize::new(0)),
        },
    );
    let id = fx.enqueue("count", serde_json::json!({"steps": 2})).await;
    assert_eq!(fx.worker(registry).run_until_idle().await.expect("runs"), 1);
    let (_, bytes) = fx
        .service()
        .file(&fx.org, &id, "result.csv")
        .await
        .expect("file from S3");
    assert_eq!(&bytes[..], b"n\n3\n");
    fx.files
        .delete(&format!("jobs/{}/{}/result.csv", fx.org, id))
        .await
        .expect("delete");
    assert!(matches!(
        fx.service().file(&fx.org, &id, "result.csv").await,
        Err(Error::NotFound(_))
    ));
    fx.test_db.finish().await;
}

mod csv_body {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::extract::{FromRequest, Request};
    use fullhouse_core::files::FileStore;
    use fullhouse_core::http::{AppState, CsvBody, Settings};
    use fullhouse_core::{Backend, Error};
    use fullhouse_testkit::TestDb;

    async fn read(
        state: &AppState,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let mut request = Request::builder()
            .method("POST")
            .uri("/api/v1/orders/import");
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let request = request.body(Body::from(body.to_vec())).expect("a request");
        CsvBody::from_request(request, state)
            .await
            .map(|CsvBody(bytes)| bytes.to_vec())
    }

    #[tokio::test]
    async fn a_csv_body_is_told_by_its_label_then_held_to_the_upload_limit() {
        let Some(test_db) =
            TestDb::new(Backend::Sqlite, fullhouse_core::migrations::migrations()).await
        else {
            return;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let state = AppState {
            db: test_db.db.clone(),
            files: FileStore::local(dir.path()).expect("file store"),
            settings: Arc::new(Settings {
                data_dir: dir.path().to_path_buf(),
                public_url: "http://localhost".into(),
                secure_cookies: false,
                upload_limit_bytes: 64,
                metrics_token: None,
            }),
        };
        let file = b"Code;Quantity\nVIP1;2\n";
        for label in [
            Some("text/csv"),
            Some("text/csv; charset=windows-1252"),
            Some("Application/Vnd.MS-Excel"),
            Some("text/plain"),
            Some("application/octet-stream"),
            None,
        ] {
            assert_eq!(
                read(&state, label, file).await.ok(),
                Some(file.to_vec()),
                "{label:?}"
            );
        }
        let refusal = |result: Result<Vec<u8>, Error>| match result {
            Err(Error::UnsupportedMediaType(message)) => message,
            other => panic!("expected 415, got {other:?}"),
        };
        assert_eq!(
            refusal(read(&state, Some("multipart/form-data; boundary=x"), b"--x--").await),
            "a form upload (`multipart/form-data`) is not read here; send the CSV file itself \
             as the body, with `Content-Type: text/csv`"
        );
        // The label is checked before the body is read: a JSON body over the limit is a 415.
        let large = vec![b' '; 1000];
        assert_eq!(
            refusal(read(&state, Some("application/json"), &large).await),
            "`Content-Type: application/json` is not a CSV file; send the CSV file itself as \
             the body, with `Content-Type: text/csv`"
        );
        match read(&state, Some("text/csv"), &large).await {
            Err(Error::PayloadTooLarge(message)) => assert!(message.contains("64 bytes")),
            other => panic!("expected 413, got {other:?}"),
        }
        match read(&state, Some("text/csv"), b" \r\n ").await {
            Err(err) => assert_eq!(err.to_string(), "file: is empty"),
            Ok(_) => panic!("a blank body is no file"),
        }
    }
}

#[path = "core/outbox.rs"]
mod outbox;
