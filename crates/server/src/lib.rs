//! The `fullhouse` server: mounts every module's JSON API and pages on one axum router, serves the
//! OpenAPI document, health and metrics, and runs the CLI.

pub mod bench;
pub mod cli;
pub mod http;
pub mod openapi;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use fullhouse_core::files::FileStore;
use fullhouse_core::http::{AppState, Settings};
use fullhouse_core::jobs::{JobRegistry, Worker};
use fullhouse_core::module::{self, Module, Runs};
use fullhouse_core::Db;
use sea_orm_migration::MigrationTrait;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Every module of this binary, in dependency order: the one list the server walks for
/// migrations, routes, pages, jobs, background tasks, navigation and locale files. Adding a
/// module is one line here (and one in `Cargo.toml`); the cross-module wiring (which module
/// answers another's questions) is spelled out in the constructors.
pub fn modules() -> Vec<Box<dyn Module>> {
    // Campaigns answer checkout's questions about codes; intents sell through the same checkout;
    // referrals judge promotions on its clock.
    let checkout = fullhouse_checkout::CheckoutModule::with_code_rules(Arc::new(
        fullhouse_audiences::campaigns::CampaignRules,
    ));
    vec![
        Box::new(fullhouse_web::Platform::new(fullhouse_ticketing::consents)),
        Box::new(fullhouse_ticketing::Ticketing),
        Box::new(checkout.clone()),
        Box::new(fullhouse_audiences::Audiences),
        Box::new(fullhouse_segments::Segments),
        Box::new(fullhouse_intents::IntentsModule::new(checkout.clone())),
        Box::new(fullhouse_referrals::ReferralsModule::new(checkout)),
    ]
}

/// Every migration of every module, in list order.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    modules().iter().flat_map(|m| m.migrations()).collect()
}

/// Every job kind this binary can run.
pub fn job_registry(state: &AppState) -> JobRegistry {
    module::mount_all(&modules(), state.clone()).jobs
}

/// How a server is started.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; `None` is SQLite in the data directory.
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub secure_cookies: bool,
    /// Background job loops in this process (0: this process runs no jobs).
    pub job_workers: usize,
    /// How long a claimed job stays reserved without a heartbeat: the time after which a job of
    /// a crashed process is taken again.
    pub job_lease_seconds: u32,
    /// Where job result files live: `s3://bucket/prefix`, or a directory; default
    /// `<data-dir>/files`.
    pub files_url: Option<String>,
    /// The largest upload (spreadsheets to import), in MB.
    pub upload_limit_mb: u64,
    /// The bearer token `GET /metrics` asks for; `None`: metrics answer loopback clients only.
    pub metrics_token: Option<String>,
}

impl ServerConfig {
    /// The database URL: the one given, or `<data-dir>/fullhouse.db`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => format!("sqlite://{}", self.data_dir.join("fullhouse.db").display()),
        }
    }
}

/// Opens the database, creating the data directory when needed, and applies migrations.
pub async fn open_database(config: &ServerConfig) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let url = config.database_url();
    let db = Db::connect(&url)
        .await
        .map_err(|e| anyhow::anyhow!("opening the database: {e:?}"))?;
    db.migrate(migrations())
        .await
        .map_err(|e| anyhow::anyhow!("migrating the database: {e:?}"))?;
    Ok(db)
}

/// The state handlers share.
pub fn app_state(db: Db, config: &ServerConfig, bound: SocketAddr) -> anyhow::Result<AppState> {
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}"));
    let files = match &config.files_url {
        Some(url) if !url.trim().is_empty() => FileStore::from_url(url.trim()),
        _ => FileStore::local(&config.data_dir.join("files")),
    }
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;

    Ok(AppState {
        db,
        files,
        settings: Arc::new(Settings {
            data_dir: config.data_dir.clone(),
            public_url,
            secure_cookies: config.secure_cookies,
            upload_limit_bytes: config.upload_limit_mb.saturating_mul(1024 * 1024),
            metrics_token: config
                .metrics_token
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        }),
    })
}

/// A server running in the background: its address, and a token that stops it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    pub shutdown: CancellationToken,
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// How long a stopping server waits for its background tasks to finish.
const TASKS_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Binds `config.listen` and serves the app on `db` until `shutdown` is cancelled.
pub async fn start(config: &ServerConfig, db: Db) -> anyhow::Result<RunningServer> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let state = app_state(db, config, addr)?;
    let (app, tasks, jobs) = http::assemble(state.clone());
    let shutdown = CancellationToken::new();
    let runs_jobs = config.job_workers > 0;
    let mut running = Vec::new();
    for task in tasks {
        // Processes without job workers keep their caches fresh but leave sweeps to others.
        if task.runs == Runs::EveryProcess || runs_jobs {
            tracing::debug!(task = task.name, "background task started");
            running.push(tokio::spawn(task.start(shutdown.clone())));
        }
    }
    let stop = shutdown.clone();
    let mut workers = None;
    if runs_jobs {
        let worker = Worker::new(state.db.clone(), state.files.clone(), jobs)
            .with_public_url(&state.settings.public_url)
            .with_lease(chrono::Duration::seconds(i64::from(
                config.job_lease_seconds.max(1),
            )));
        let (stop, concurrency) = (shutdown.clone(), config.job_workers);
        workers = Some(tokio::spawn(
            async move { worker.run(concurrency, stop).await },
        ));
    }
    let handle = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await;
        // The process ends when this does: let running jobs finish or be given back first.
        if let Some(workers) = workers {
            let _ = workers.await;
        }
        // And let the tasks finish what they hold (the referral hits queued in memory are
        // written by one), within a bound: a stuck task must not keep the process alive.
        let tasks = futures::future::join_all(running);
        if tokio::time::timeout(TASKS_STOP_WAIT, tasks).await.is_err() {
            tracing::warn!("background tasks still running at exit");
        }
        served
    });
    Ok(RunningServer {
        addr,
        state,
        shutdown,
        handle,
    })
}

#[cfg(test)]
mod message_keys {
    use std::collections::BTreeSet;
    use std::path::Path;

    use fullhouse_core::i18n::{checks, ENGINE};
    use fullhouse_core::module::LocaleFile;

    /// Every locale file of this binary: the engine's and every module's.
    fn all_locales() -> Vec<LocaleFile> {
        let mut files: Vec<LocaleFile> = ENGINE.to_vec();
        for module in super::modules() {
            files.extend_from_slice(module.locales());
        }
        files
    }

    /// Every `Msg::new("…")` in every crate of the workspace — the engine's messages, whichever
    /// crate makes them — names a key that English, Danish and French all define.
    #[test]
    fn every_message_key_the_engine_uses_exists_in_every_language() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut dirs = Vec::new();
        for entry in std::fs::read_dir(&crates)
            .expect("the crates directory")
            .flatten()
        {
            dirs.push(entry.path().join("src"));
            dirs.push(entry.path().join("templates"));
        }
        assert!(dirs.len() >= 20, "{dirs:?}");
        let files = all_locales();
        let is_key = |key: &str| {
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        let mut used = 0;
        for lang in ["en", "da", "fr"] {
            let known: BTreeSet<String> = checks::keys_in(&files, lang);
            let unknown = checks::unknown_after(&dirs, &["Msg::new(\""], is_key, &known);
            assert!(
                unknown.is_empty(),
                "message keys missing from {lang}: {unknown:#?}"
            );
            used = checks::unknown_after(&dirs, &["Msg::new(\""], is_key, &BTreeSet::new()).len();
        }
        assert!(used > 40, "the scan finds the engine's messages ({used})");
    }

    /// And every English string of the engine has its Danish and French.
    #[test]
    fn every_engine_string_is_in_danish_and_french() {
        assert_eq!(checks::untranslated(ENGINE), Vec::<String>::new());
    }
}
