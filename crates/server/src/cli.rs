//! The command line: `fullhouse serve | migrate | demo | openapi`. Flags override environment
//! variables (`FULLHOUSE_*`, `DATABASE_URL`), which override the defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use fullhouse_ticketing::demo::{self, DemoOptions, DemoSummary};

use crate::ServerConfig;

#[derive(Debug, Parser)]
#[command(
    name = "fullhouse",
    version,
    about = "Audience and campaign engine for event ticketing"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web server (applies migrations first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(StorageArgs),
    /// Build the "Demo Theatre" organization with realistic data.
    Demo(DemoArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Measure end-to-end figures against their references.
    #[command(subcommand)]
    Bench(crate::bench::Bench),
    /// Internal: render mail templates from stdin under a memory and CPU cap (the server starts
    /// these children itself).
    #[command(name = "template-sandbox", hide = true)]
    TemplateSandbox,
}

#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Where the embedded database and files live.
    #[arg(long, env = "FULLHOUSE_DATA_DIR", default_value = "./fullhouse-data")]
    pub data_dir: PathBuf,
    /// `postgres://user@host/db` for PostgreSQL; default: SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "FULLHOUSE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The address people reach this server at (links in mail); default: http://<listen>.
    #[arg(long, env = "FULLHOUSE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Mark cookies Secure (when served over HTTPS).
    #[arg(long, env = "FULLHOUSE_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Background job loops in this process (0 runs no jobs here).
    #[arg(long, env = "FULLHOUSE_JOB_WORKERS", default_value_t = 2)]
    pub job_workers: usize,
    /// Seconds a job stays reserved by a worker that stopped sending heartbeats.
    #[arg(long, env = "FULLHOUSE_JOB_LEASE_SECONDS", default_value_t = 30)]
    pub job_lease_seconds: u32,
    /// Where job result files live: `s3://bucket/prefix` (S3-compatible; `AWS_*` environment
    /// variables give credentials, region and endpoint), or a directory. Default: <data-dir>/files.
    #[arg(long, env = "FULLHOUSE_FILES_URL")]
    pub files_url: Option<String>,
    /// The largest file an organizer may upload for an import, in MB.
    #[arg(long, env = "FULLHOUSE_UPLOAD_LIMIT_MB", default_value_t = fullhouse_core::uploads::DEFAULT_UPLOAD_LIMIT_MB)]
    pub upload_limit_mb: u64,
    /// The bearer token `GET /metrics` asks for (`Authorization: Bearer <token>`); without one,
    /// metrics answer only clients on loopback.
    #[arg(long, env = "FULLHOUSE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Load the demo organization when the database is empty (first start).
    #[arg(long, env = "FULLHOUSE_DEMO", default_value_t = false)]
    pub demo: bool,
    /// Customers in the demo loaded by --demo.
    #[arg(long, env = "FULLHOUSE_DEMO_CUSTOMERS", default_value_t = 20_000)]
    pub demo_customers: u64,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// How many customers to generate.
    #[arg(long, default_value_t = 20_000)]
    pub customers: u64,
    /// Random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl StorageArgs {
    fn config(&self) -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            public_url: None,
            secure_cookies: false,
            job_workers: 0,
            job_lease_seconds: 30,
            files_url: None,
            upload_limit_mb: fullhouse_core::uploads::DEFAULT_UPLOAD_LIMIT_MB,
            metrics_token: None,
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => {
            crate::open_database(&args.config()).await?;
            println!(
                "migrations applied to {}",
                redact(&args.config().database_url())
            );
            Ok(())
        }
        Command::Demo(args) => {
            let db = crate::open_database(&args.storage.config()).await?;
            let started = Instant::now();
            let summary = build_demo(
                &db,
                &DemoOptions {
                    customers: args.customers,
                    seed: args.seed,
                },
            )
            .await?;
            print_summary(&summary, started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Bench(bench) => crate::bench::run(bench).await,
        Command::TemplateSandbox => Ok(fullhouse_core::mail::sandbox::serve()?),
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::openapi::document())?
            );
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = ServerConfig {
        listen: args.listen,
        data_dir: args.storage.data_dir.clone(),
        database_url: args.storage.database_url.clone(),
        public_url: args.public_url.clone(),
        secure_cookies: args.secure_cookies,
        job_workers: args.job_workers,
        job_lease_seconds: args.job_lease_seconds,
        files_url: args.files_url.clone(),
        upload_limit_mb: args.upload_limit_mb,
        metrics_token: args.metrics_token.clone(),
    };
    let db = crate::open_database(&config).await?;
    if args.demo
        && demo::database_is_empty(&db)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
    {
        println!(
            "empty database: loading the demo organization ({} customers)…",
            args.demo_customers
        );
        let started = Instant::now();
        let summary = build_demo(
            &db,
            &DemoOptions {
                customers: args.demo_customers,
                seed: 42,
            },
        )
        .await?;
        print_summary(&summary, started.elapsed().as_secs_f64());
    }
    let server = crate::start(&config, db).await?;
    println!(
        "Fullhouse is listening on http://{} ({})",
        server.addr,
        redact(&config.database_url())
    );
    let shutdown = server.shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        shutdown.cancel();
    });
    server.handle.await??;
    Ok(())
}

/// The demo organization: ticketing's facts, then the modules' own demo data on top of them
/// (a referral promotion with its participants and a week of link hits).
async fn build_demo(db: &fullhouse_core::Db, options: &DemoOptions) -> anyhow::Result<DemoSummary> {
    let summary = demo::generate(db, options)
        .await
        .map_err(|e| anyhow::anyhow!("generating the demo failed: {e:?}"))?;
    let referrals = fullhouse_referrals::Referrals::new(
        db.clone(),
        fullhouse_checkout::Checkout::new(db.clone()),
        "http://localhost",
    );
    let made = fullhouse_referrals::demo::seed(&referrals, &summary.organization)
        .await
        .map_err(|e| anyhow::anyhow!("the demo's referral promotion failed: {e:?}"))?;
    println!(
        "demo referral promotion: {} participants, {} link hits",
        made.participants, made.hits
    );
    Ok(summary)
}

fn print_summary(summary: &DemoSummary, seconds: f64) {
    println!(
        "demo organization `{}` built in {seconds:.1} s: {} venue(s) with {} seats, {} productions, {} events, {} customers, {} orders, {} tickets",
        summary.organization_slug,
        summary.venues,
        summary.seats,
        summary.productions,
        summary.events,
        summary.customers,
        summary.orders,
        summary.tickets
    );
    println!(
        "log in as {} with password {}",
        summary.admin_email, summary.admin_password
    );
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = url.get(scheme + 3..at).unwrap_or_default();
            match credentials.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    url.get(..scheme + 3).unwrap_or_default(),
                    url.get(at..).unwrap_or_default()
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_in_database_urls_are_hidden() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
