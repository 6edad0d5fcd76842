//! `fullhouse bench …`: end-to-end figures, each printed with the reference it is compared with,
//! measured in the same run.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use fullhouse_core::files::FileStore;
use fullhouse_core::jobs::Worker;
use fullhouse_core::mail::{
    self, MailSettings, NewMessage, QueuedMessage, SmtpSecurity, Transport,
};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::Db;
use futures::stream::{self, StreamExt};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Mail: time to queue N messages, and the delivery rate to a loopback SMTP server.
    Mail(MailBench),
    /// Audience upload: rows per second on SQLite and PostgreSQL, beside a raw bulk load.
    AudienceImport(AudienceImportBench),
    /// Code-redeeming orders per second through checkout on SQLite and PostgreSQL.
    Redeem(RedeemBench),
    /// Intents import: rows per second on SQLite and PostgreSQL, beside the same bookings
    /// placed straight through checkout.
    IntentImport(IntentImportBench),
    /// Tracking redirect: requests/s, p50 and p99 of `/r/{code}` beside a bare axum redirect,
    /// and the delay until every hit is stored, on SQLite and PostgreSQL.
    Redirect(RedirectBench),
    /// Segment index: p50/p99 of a 10-filter count, bytes per customer, and the same segment
    /// as SQL on PostgreSQL.
    Segments(SegmentsBench),
    /// Segment exports: customers/s, peak RSS and file size of CSV and XLSX on SQLite and
    /// PostgreSQL, beside the bare crates writing the same rows.
    Export(ExportBench),
}

#[derive(Debug, Args)]
pub struct ExportBench {
    /// Customers to load and export.
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: usize,
    /// A PostgreSQL server URL whose user may create databases; default:
    /// `FULLHOUSE_BENCH_POSTGRES_URL`, else `FULLHOUSE_TEST_POSTGRES_URL`; `none` for SQLite only.
    #[arg(long)]
    pub postgres_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct RedirectBench {
    /// Requests timed on each server.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Kept-alive connections (each sends its next request when it has its answer).
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// A PostgreSQL server URL whose user may create databases; default:
    /// `FULLHOUSE_BENCH_POSTGRES_URL`, else `FULLHOUSE_TEST_POSTGRES_URL`; `none` for SQLite only.
    #[arg(long)]
    pub postgres_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct SegmentsBench {
    /// Customers to build (about six tickets each over 2,000 events).
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: usize,
    /// A PostgreSQL server URL whose user may create databases (a fresh one is made and
    /// dropped); `none` to measure the index only.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub database_url: String,
    /// Index queries to time.
    #[arg(long, default_value_t = 200)]
    pub runs: usize,
    /// Also build the index from PostgreSQL through the server's own path.
    #[arg(long)]
    pub rebuild_from_database: bool,
    /// Leave the loaded PostgreSQL database behind (its name is printed) for `--reuse-database`.
    #[arg(long)]
    pub keep_database: bool,
    /// Time against a database an earlier `--keep-database` run with the same `--customers`
    /// left behind, instead of loading a new one.
    #[arg(long, value_name = "NAME")]
    pub reuse_database: Option<String>,
    /// Print PostgreSQL's plan for the reference SQL.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Args)]
pub struct MailBench {
    /// Messages to queue and deliver.
    #[arg(long, default_value_t = 100_000)]
    pub messages: usize,
    /// An SMTP server to deliver to (host:port); default: start `aiosmtpd` on loopback, discarding mail.
    #[arg(long)]
    pub smtp: Option<String>,
    /// Database to use; default: a fresh SQLite file in a temp directory.
    #[arg(long)]
    pub database_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct AudienceImportBench {
    /// Rows (codes) in the uploaded file.
    #[arg(long, default_value_t = 1_000_000)]
    pub codes: usize,
    /// A PostgreSQL server URL whose user may create databases (a fresh one is made and
    /// dropped); `none` to measure SQLite only.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub postgres_url: String,
}

#[derive(Debug, Args)]
pub struct IntentImportBench {
    /// Rows in the file (seated and standing mixed, 5 % bad).
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// A PostgreSQL server URL whose user may create databases; default:
    /// `FULLHOUSE_BENCH_POSTGRES_URL`, else `FULLHOUSE_TEST_POSTGRES_URL`; `none` for SQLite only.
    #[arg(long)]
    pub postgres_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct RedeemBench {
    /// Orders, each redeeming a different code.
    #[arg(long, default_value_t = 20_000)]
    pub orders: usize,
    /// Orders in flight at once (buyers waiting for an answer; each sends its next order as
    /// soon as it has one).
    #[arg(long, default_value_t = 64)]
    pub in_flight: usize,
    /// A PostgreSQL server URL whose user may create databases; `none` for SQLite only. The
    /// default, on loopback, asks for no TLS: encrypting a connection that never leaves the
    /// machine cost ~5 % of the server's CPU in this bench (perf).
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    )]
    pub postgres_url: String,
}

pub async fn run(bench: Bench) -> anyhow::Result<()> {
    match bench {
        Bench::Mail(args) => mail_bench(args).await,
        Bench::Segments(args) => {
            fullhouse_segments::bench::run(fullhouse_segments::bench::BenchOptions {
                customers: args.customers,
                postgres_admin_url: Some(args.database_url).filter(|u| u != "none"),
                runs: args.runs.max(1),
                rebuild_from_database: args.rebuild_from_database,
                keep_database: args.keep_database,
                reuse_database: args.reuse_database,
                explain: args.explain,
            })
            .await
            .map_err(|e| anyhow::anyhow!(e))
        }
        Bench::Redeem(args) => {
            let dir = tempfile::tempdir()?;
            let postgres = Some(args.postgres_url.as_str()).filter(|u| *u != "none");
            fullhouse_audiences::campaigns::bench::run(
                args.orders,
                args.in_flight,
                dir.path(),
                postgres,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e))
        }
        Bench::IntentImport(args) => {
            let dir = tempfile::tempdir()?;
            let postgres = args
                .postgres_url
                .or_else(|| std::env::var("FULLHOUSE_BENCH_POSTGRES_URL").ok())
                .or_else(|| std::env::var("FULLHOUSE_TEST_POSTGRES_URL").ok())
                .filter(|u| u != "none" && !u.is_empty());
            fullhouse_intents::bench::run(args.rows, dir.path(), postgres.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!(e))
        }
        Bench::Redirect(args) => redirect_bench(args).await,
        Bench::Export(args) => {
            let dir = tempfile::tempdir()?;
            let postgres = args
                .postgres_url
                .or_else(|| std::env::var("FULLHOUSE_BENCH_POSTGRES_URL").ok())
                .or_else(|| std::env::var("FULLHOUSE_TEST_POSTGRES_URL").ok())
                .filter(|u| u != "none" && !u.is_empty());
            fullhouse_segments::bench_export::run(args.customers, dir.path(), postgres.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!(e))
        }
        Bench::AudienceImport(args) => {
            let dir = tempfile::tempdir()?;
            let postgres = Some(args.postgres_url.as_str()).filter(|u| *u != "none");
            fullhouse_audiences::bench::run(args.codes, dir.path(), postgres)
                .await
                .map_err(|e| anyhow::anyhow!(e))
        }
    }
}

/// `fullhouse bench redirect` on SQLite, then on a fresh PostgreSQL database when one is given.
async fn redirect_bench(args: RedirectBench) -> anyhow::Result<()> {
    let load = String::from_utf8_lossy(&Command::new("uptime").output()?.stdout).to_string();
    println!(
        "redirect bench: {} requests per server over {} connections, client and servers in this process; uptime: {}",
        args.requests,
        args.connections,
        load.trim()
    );
    let dir = tempfile::tempdir()?;
    let sqlite = format!(
        "sqlite://{}",
        dir.path().join("redirect-bench.db").display()
    );
    redirect_on(&sqlite, &args, dir.path()).await?;
    let postgres = args
        .postgres_url
        .clone()
        .or_else(|| std::env::var("FULLHOUSE_BENCH_POSTGRES_URL").ok())
        .or_else(|| std::env::var("FULLHOUSE_TEST_POSTGRES_URL").ok())
        .filter(|u| u != "none" && !u.is_empty());
    let Some(admin) = postgres else {
        println!(
            "PostgreSQL: skipped (no --postgres-url, FULLHOUSE_BENCH_POSTGRES_URL or test URL)"
        );
        return Ok(());
    };
    let name = format!("fullhouse_bench_redirect_{}", std::process::id());
    let admin_db = Db::connect(&admin)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    use sea_orm::ConnectionTrait;
    admin_db
        .writer()
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let outcome = redirect_on(&with_database(&admin, &name), &args, dir.path()).await;
    let _ = admin_db
        .writer()
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
    outcome
}

/// The real application on `url`, on loopback, measured by the referrals' bench.
async fn redirect_on(url: &str, args: &RedirectBench, dir: &std::path::Path) -> anyhow::Result<()> {
    let db = Db::connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    db.migrate(crate::migrations())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let label = match db.backend() {
        fullhouse_core::Backend::Sqlite => "SQLite",
        fullhouse_core::Backend::Postgres => "PostgreSQL",
    };
    let mut config = bench_config(dir);
    config.public_url = None;
    config.database_url = Some(url.to_string());
    let server = crate::start(&config, db.clone()).await?;
    let stage = fullhouse_referrals::bench::stage(&db, "redirect-bench")
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let uncached = fullhouse_referrals::bench::uncached_lookup(&db, &stage.code, 200)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    println!(
        "{label}: a code's target read from the database: p50 {:.2} ms (the redirect reads it from memory, kept {} s)",
        uncached.as_secs_f64() * 1000.0,
        fullhouse_referrals::tracking::TARGET_TTL.as_secs()
    );
    println!(
        "{label}: classifying a hit: {:.1} µs",
        fullhouse_referrals::bench::classify_cost(20_000).as_secs_f64() * 1e6
    );
    let measured = fullhouse_referrals::bench::measure(
        label,
        &db,
        &format!("http://{}", server.addr),
        &stage,
        args.requests,
        args.connections,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e));
    server.shutdown.cancel();
    let _ = server.handle.await;
    measured
}

/// Replaces the database name of a PostgreSQL URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base.get(after_scheme..).and_then(|rest| rest.find('/')) {
        Some(slash) => base.get(..after_scheme + slash).unwrap_or(base),
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// `aiosmtpd` discarding every message, on a free loopback port.
struct LoopbackSmtp {
    child: Child,
    port: u16,
}

impl LoopbackSmtp {
    fn start() -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Sink",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting aiosmtpd (python3 -m pip install aiosmtpd)")?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("aiosmtpd did not start; install it with `python3 -m pip install aiosmtpd`");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self { child, port })
    }
}

impl Drop for LoopbackSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn booking_message(i: usize) -> NewMessage {
    NewMessage {
        to_email: format!("guest{i}@example.dk"),
        to_name: Some(format!("Guest {i}")),
        subject: format!("Your booking {i}"),
        html: format!(
            "<p>Dear guest {i},</p><p>your tickets for <strong>Hamlet</strong> are reserved.</p>"
        ),
        text: None,
        marketing: None,
        idempotency_key: format!("bench-{i}"),
        attachments: Vec::new(),
    }
}

async fn mail_bench(args: MailBench) -> anyhow::Result<()> {
    let (_smtp, host, port) = match &args.smtp {
        Some(address) => {
            let (host, port) = address.rsplit_once(':').context("--smtp is host:port")?;
            (None, host.to_string(), port.parse().context("--smtp port")?)
        }
        None => {
            let smtp = LoopbackSmtp::start()?;
            let port = smtp.port;
            (Some(smtp), "127.0.0.1".to_string(), port)
        }
    };
    let dir = tempfile::tempdir()?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let db = Db::connect(&url)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    db.migrate(crate::migrations())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let org = TenancyService::new(db.clone())
        .create_organization(NewOrganization {
            name: "Mail bench".into(),
            slug: format!("mail-bench-{}", std::process::id()),
            default_language: "en".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let settings = MailSettings {
        sender_name: "Demo Theatre".into(),
        sender_email: "tickets@demo-theatre.example".into(),
        reply_to: None,
        transport: Transport::Smtp {
            host: host.clone(),
            port,
            security: SmtpSecurity::Plain,
            username: None,
            password: None,
        },
    };
    mail::MailService::new(db.clone())
        .put_settings(&org.id, settings)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "backend: {:?}, messages: {}, SMTP: {host}:{port}",
        db.backend(),
        args.messages
    );

    let messages: Vec<QueuedMessage> = (0..args.messages)
        .map(|i| QueuedMessage {
            message: booking_message(i),
            unsubscribe_token: None,
        })
        .collect();
    let started = Instant::now();
    let txn = db
        .begin_write()
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let queued = mail::queue(&txn, &org.id, messages)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    txn.commit().await?;
    let enqueue = started.elapsed();
    println!(
        "enqueue: {queued} messages in {:.2} s ({:.0} messages/s; target: ≤ 10 s for 100,000)",
        enqueue.as_secs_f64(),
        queued as f64 / enqueue.as_secs_f64()
    );

    let state = crate::app_state(
        db.clone(),
        &bench_config(dir.path()),
        "127.0.0.1:0".parse()?,
    )?;
    let worker = Worker::new(
        db.clone(),
        FileStore::local(&dir.path().join("files")).map_err(|e| anyhow::anyhow!("{e:?}"))?,
        crate::job_registry(&state),
    );
    let started = Instant::now();
    worker
        .run_until_idle()
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let delivery = started.elapsed();
    let sent = count_sent(&db, &org.id).await?;
    println!(
        "delivery through the outbox: {sent} messages in {:.2} s = {:.0} messages/s (target: ≥ 500/s)",
        delivery.as_secs_f64(),
        sent as f64 / delivery.as_secs_f64()
    );

    let reference_count = (args.messages / 5).max(1);
    let rate = raw_smtp_rate(&host, port, reference_count).await?;
    println!(
        "reference, the same messages straight through lettre (no outbox): {reference_count} in {:.2} s = {:.0} messages/s; outbox / raw = {:.2}",
        reference_count as f64 / rate,
        rate,
        (sent as f64 / delivery.as_secs_f64()) / rate
    );
    Ok(())
}

fn bench_config(dir: &std::path::Path) -> crate::ServerConfig {
    crate::ServerConfig {
        listen: "127.0.0.1:0"
            .parse()
            .unwrap_or_else(|_| std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
        data_dir: dir.to_path_buf(),
        database_url: None,
        public_url: Some("http://127.0.0.1".into()),
        secure_cookies: false,
        job_workers: 0,
        job_lease_seconds: 30,
        files_url: None,
        upload_limit_mb: fullhouse_core::uploads::DEFAULT_UPLOAD_LIMIT_MB,
        metrics_token: None,
    }
}

async fn count_sent(db: &Db, org: &fullhouse_core::OrgId) -> anyhow::Result<u64> {
    use fullhouse_core::mail::store::outbox;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    Ok(outbox::Entity::find()
        .filter(outbox::Column::OrganizationId.eq(org.as_str()))
        .filter(outbox::Column::Status.eq("sent"))
        .count(db.reader())
        .await?)
}

/// Messages per second sending directly with lettre, with the same pool size and concurrency
/// as the delivery job.
async fn raw_smtp_rate(host: &str, port: u16, count: usize) -> anyhow::Result<f64> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .pool_config(PoolConfig::new().max_size(mail::delivery::POOL_SIZE))
        .build();
    let from: Mailbox = "Demo Theatre <tickets@demo-theatre.example>".parse()?;
    let started = Instant::now();
    let results: Vec<bool> = stream::iter(0..count)
        .map(|i| {
            let transport = transport.clone();
            let from = from.clone();
            async move {
                let message = booking_message(i);
                let Ok(to) = message.to_email.parse::<lettre::Address>() else {
                    return false;
                };
                let text = mail::templates::html_to_text(&message.html);
                let Ok(email) = Message::builder()
                    .from(from)
                    .to(Mailbox::new(message.to_name, to))
                    .subject(message.subject)
                    .multipart(MultiPart::alternative_plain_html(text, message.html))
                else {
                    return false;
                };
                transport.send(email).await.is_ok()
            }
        })
        .buffer_unordered(mail::delivery::IN_FLIGHT)
        .collect()
        .await;
    let ok = results.iter().filter(|r| **r).count();
    if ok != count {
        bail!("the reference run delivered only {ok} of {count} messages");
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}
