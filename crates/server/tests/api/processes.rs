//! Real `fullhouse serve` processes: killed with SIGKILL mid-job, and sharing one queue.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fullhouse_core::jobs::{self, JobService, JobStatus, NewJob};
use fullhouse_core::mail::{self, NewMessage, QueuedMessage};
use fullhouse_core::tenancy::model::{Caller, Credential, Role};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Backend, OrgId};
use fullhouse_testkit::smtp::{header_value, SmtpServer};
use fullhouse_testkit::{both_backends, TestDb};
use serde_json::json;

/// A `fullhouse serve` child process; killed (SIGKILL) when dropped.
pub(crate) struct ServerProcess {
    child: Child,
    pub(crate) base: String,
}

impl ServerProcess {
    /// The process id, to read its memory from `/proc`.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn start(database_url: &str, data_dir: &Path, workers: usize) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fullhouse"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--job-lease-seconds",
                "2",
            ])
            .arg("--job-workers")
            .arg(workers.to_string())
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--database-url")
            .arg(database_url)
            .env(
                "FULLHOUSE_LOG",
                std::env::var("FULLHOUSE_TEST_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("fullhouse starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("a line from the server")
                .expect("readable");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
        };
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if std::env::var("FULLHOUSE_TEST_SERVER_LOG").is_ok() {
                    eprintln!("[server] {line}");
                }
            }
        });
        ServerProcess { child, base }
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Setup {
    pub(crate) test_db: TestDb,
    pub(crate) org: OrgId,
    pub(crate) token: String,
    pub(crate) data_dir: tempfile::TempDir,
}

pub(crate) async fn setup(backend: Backend) -> Option<Setup> {
    let test_db = TestDb::new(backend, fullhouse_server::migrations()).await?;
    let tenancy = TenancyService::new(test_db.db.clone());
    let org = tenancy
        .create_organization(NewOrganization {
            name: "Processes".into(),
            slug: "processes".into(),
            default_language: "en".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .expect("org")
        .id;
    let caller = Caller {
        org: org.clone(),
        user: None,
        role: Role::Owner,
        language: "en".into(),
        credential: Credential::Session {
            csrf_token: String::new(),
            via_cookie: false,
        },
    };
    let (_, token) = tenancy
        .create_api_token(&caller, "tests", Role::Owner)
        .await
        .expect("token");
    Some(Setup {
        test_db,
        org,
        token,
        data_dir: tempfile::tempdir().expect("dir"),
    })
}

impl Setup {
    pub(crate) fn jobs(&self) -> JobService {
        let files = fullhouse_core::files::FileStore::local(&self.data_dir.path().join("files"))
            .expect("files");
        JobService::new(self.test_db.db.clone(), files)
    }

    pub(crate) async fn wait_for_job(
        &self,
        id: &jobs::JobId,
        timeout: Duration,
        done: impl Fn(&jobs::Job) -> bool,
    ) -> jobs::Job {
        let deadline = Instant::now() + timeout;
        loop {
            let job = self.jobs().get(&self.org, id).await.expect("job");

            if done(&job) {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job did not get there in time: {job:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

both_backends! {
    setup = setup;

    async fn a_job_of_a_killed_server_fails_once_with_the_reason_after_restart_and_is_not_run_again(s: Setup) {
        let first = ServerProcess::start(&s.test_db.url, s.data_dir.path(), 1);
        let client = reqwest::Client::new();
        let started: serde_json::Value = client
            .post(format!("{}/api/v1/jobs/demo", first.base))
            .bearer_auth(&s.token)
            .json(&json!({"steps": 30, "step_ms": 100}))
            .send().await.expect("sent").json().await.expect("json");
        let id = jobs::JobId::parse(started["id"].as_str().unwrap_or_default()).expect("job id");
        s.wait_for_job(&id, Duration::from_secs(20), |j| j.progress_done >= 5).await;
        first.kill();
        let at_kill = s.jobs().get(&s.org, &id).await.expect("job").progress_done;

        // The job may be what killed the process: the next one settles it instead of running it.
        let _second = ServerProcess::start(&s.test_db.url, s.data_dir.path(), 1);
        let job = s.wait_for_job(&id, Duration::from_secs(30), |j| j.status.is_finished()).await;
        assert_eq!(job.status, JobStatus::Failed, "{job:?}");
        assert_eq!(job.attempts, 1, "not taken again");
        assert_eq!(job.error.as_deref(), Some(jobs::worker::STOPPED_WHILE_RUNNING));
        assert!(job.progress_done < 30 && job.progress_done <= at_kill + 1, "{job:?}");
        s.test_db.finish().await;
    }

    async fn a_mail_job_killed_half_way_sends_no_message_twice(s: Setup) {
        let smtp = SmtpServer::start();
        let settings = fullhouse_core::mail::MailSettings {
            sender_name: "Demo".into(),
            sender_email: "tickets@demo.example".into(),
            reply_to: None,
            transport: fullhouse_core::mail::Transport::Smtp {
                host: "127.0.0.1".into(), port: smtp.port, security: fullhouse_core::mail::SmtpSecurity::Plain,
                username: None, password: None,
            },
        };
        fullhouse_core::mail::MailService::new(s.test_db.db.clone()).put_settings(&s.org, settings).await.expect("settings");
        let total = 3_000;
        let messages = (0..total).map(|i| QueuedMessage {
            message: NewMessage {
                to_email: format!("guest{i}@example.dk"),
                to_name: None,
                subject: format!("Booking {i}"),
                html: format!("<p>Booking {i}</p>"),
                text: None,
                marketing: None,
                idempotency_key: format!("booking-{i}"),
                attachments: Vec::new(),
            },
            unsubscribe_token: None,
        }).collect();
        let txn = s.test_db.db.begin_write().await.expect("txn");
        mail::queue(&txn, &s.org, messages).await.expect("queue");
        txn.commit().await.expect("commit");

        let first = ServerProcess::start(&s.test_db.url, s.data_dir.path(), 1);
        let deadline = Instant::now() + Duration::from_secs(60);
        while smtp.messages().len() < 50 {
            assert!(Instant::now() < deadline, "delivery never started");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        first.kill();
        let at_kill = smtp.messages().len();
        assert!(at_kill < total, "the job finished before it could be killed");

        let _second = ServerProcess::start(&s.test_db.url, s.data_dir.path(), 1);
        let deadline = Instant::now() + Duration::from_secs(120);
        while count_by_status(&s, &["queued", "sending"]).await > 0 {
            assert!(Instant::now() < deadline, "delivery never finished");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let received = smtp.messages();
        let mut ids: Vec<String> = received.iter().filter_map(|m| header_value(m, "Message-ID")).collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "a message was delivered twice");
        let sent = count_by_status(&s, &["sent"]).await;
        let interrupted = count_by_status(&s, &["failed"]).await;
        assert_eq!(sent + interrupted, total as u64, "every message is sent or reported as interrupted");
        assert!(sent as usize <= count, "the outbox never claims more than was received");
        s.test_db.finish().await;
    }
}

async fn count_by_status(s: &Setup, statuses: &[&str]) -> u64 {
    use fullhouse_core::mail::store::outbox;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    outbox::Entity::find()
        .filter(outbox::Column::OrganizationId.eq(s.org.as_str()))
        .filter(outbox::Column::Status.is_in(statuses.iter().copied()))
        .count(s.test_db.db.reader())
        .await
        .expect("count")
}

/// Two servers on one PostgreSQL share the queue: 1,000 jobs, each run exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_run_each_of_1000_jobs_exactly_once() {
    let Some(s) = setup(Backend::Postgres).await else {
        return;
    };
    let txn = s.test_db.db.begin_write().await.expect("txn");
    let mut ids = Vec::new();
    for i in 0..1_000 {
        let new = NewJob::new(
            "demo.count",
            format!("job {i}"),
            json!({"steps": 1, "step_ms": 0}),
        );
        ids.push(jobs::enqueue(&txn, &s.org, new).await.expect("enqueue"));
    }
    txn.commit().await.expect("commit");
    let _a = ServerProcess::start(&s.test_db.url, s.data_dir.path(), 4);
    let _b = ServerProcess::start(&s.test_db.url, s.data_dir.path(), 4);
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let unfinished = count_jobs(&s, &["queued", "running"]).await;
        if unfinished == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{unfinished} jobs still unfinished"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(count_jobs(&s, &["succeeded"]).await, 1_000);
    use fullhouse_core::jobs::store::jobs as table;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let retried = table::Entity::find()
        .filter(table::Column::OrganizationId.eq(s.org.as_str()))
        .filter(table::Column::Attempts.ne(1))
        .count(s.test_db.db.reader())
        .await
        .expect("count");
    assert_eq!(retried, 0, "a job was claimed more than once");
    s.test_db.finish().await;
}

async fn count_jobs(s: &Setup, statuses: &[&str]) -> u64 {
    use fullhouse_core::jobs::store::jobs as table;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    table::Entity::find()
        .filter(table::Column::OrganizationId.eq(s.org.as_str()))
        .filter(table::Column::Status.is_in(statuses.iter().copied()))
        .count(s.test_db.db.reader())
        .await
        .expect("count")
}
