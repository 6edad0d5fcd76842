//! The one test harness: a fresh database per test on each backend, and [`both_backends!`], which
//! turns one test body into a SQLite test and a PostgreSQL test.
//!
//! PostgreSQL is found in this order:
//! 1. `FULLHOUSE_TEST_POSTGRES_URL` (a server where the tests may create databases);
//! 2. a throwaway cluster this harness starts itself with `initdb` and `pg_ctl` in the temp
//!    directory, on a free loopback port, shared by every test process of the run and reused by
//!    later runs (as root, PostgreSQL's tools run as the `postgres` user, since `initdb` refuses
//!    root);
//! 3. a server already listening on `127.0.0.1:5432` with trust auth.
//!
//! With none of these, tests skip PostgreSQL with a loud message, except under `CI=true`, where a
//! missing PostgreSQL is a failure, never a silent skip.

pub mod smtp;

use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fullhouse_core::{Backend, Db};
use sea_orm::ConnectionTrait;
use sea_orm_migration::MigrationTrait;

pub use fullhouse_core;

/// A fresh, migrated database for one test. Dropped databases are removed by [`TestDb::finish`].
#[derive(Clone, Debug)]
pub struct TestDb {
    pub db: Db,
    pub backend: Backend,
    /// The URL of this test's database (for tests that start a server process on it).
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Clone, Debug)]
enum Cleanup {
    /// Held so the temp directory (and the database file in it) lives as long as the test.
    SqliteDir(#[allow(dead_code)] std::sync::Arc<tempfile::TempDir>),
    PostgresDatabase {
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    /// A fresh database on `backend`, migrated with `migrations`. `None` only when PostgreSQL is
    /// unavailable outside CI.
    pub async fn new(backend: Backend, migrations: Vec<Box<dyn MigrationTrait>>) -> Option<TestDb> {
        let test_db = match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres().await?,
        };
        if let Err(err) = test_db.db.migrate(migrations).await {
            panic!("migrating the test database failed: {err:?}");
        }
        Some(test_db)
    }

    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
        let path = dir.path().join("test.db");
        let url = format!("sqlite://{}", path.display());
        let db = Db::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e:?}"));
        TestDb {
            db,
            backend: Backend::Sqlite,
            url,
            cleanup: Cleanup::SqliteDir(std::sync::Arc::new(dir)),
        }
    }

    async fn postgres() -> Option<TestDb> {
        let admin_url = postgres_admin_url()?;
        let name = format!("fh_test_{}", ulid::Ulid::new().to_string().to_lowercase());
        let admin = Db::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {admin_url}: {e:?}"));
        admin
            .writer()
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e:?}"));
        let url = with_database(&admin_url, &name);
        let db = Db::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e:?}"));
        Some(TestDb {
            db,
            backend: Backend::Postgres,
            url,
            cleanup: Cleanup::PostgresDatabase { admin_url, name },
        })
    }

    /// Removes the test's PostgreSQL database (SQLite's temp dir goes by itself).
    pub async fn finish(self) {
        if let Cleanup::PostgresDatabase { admin_url, name } = &self.cleanup {
            drop(self.db);
            if let Ok(admin) = Db::connect(admin_url).await {
                let _ = admin
                    .writer()
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }
}

/// Replaces the database name of a PostgreSQL URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map(|(b, q)| (b, Some(q)))
        .unwrap_or((url, None));
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base.get(after_scheme..).and_then(|rest| rest.find('/')) {
        Some(slash) => base.get(..after_scheme + slash).unwrap_or(base).to_string(),
        None => base.to_string(),
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// The admin URL of the PostgreSQL server tests use, found once per process.
pub fn postgres_admin_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        let found = find_postgres();
        match (&found, std::env::var("CI").as_deref()) {
            (Err(reason), Ok("true")) => {
                panic!("CI=true and no PostgreSQL for the tests: {reason}")
            }
            (Err(reason), _) => eprintln!("\n*** SKIPPING PostgreSQL tests: {reason} ***\n"),
            (Ok(url), _) => eprintln!("PostgreSQL tests use {url}"),
        }
        found.ok()
    })
    .clone()
}

fn find_postgres() -> Result<String, String> {
    if let Ok(url) = std::env::var("FULLHOUSE_TEST_POSTGRES_URL") {
        if !url.trim().is_empty() {
            return Ok(url);
        }
    }
    match throwaway_cluster() {
        Ok(url) => return Ok(url),
        Err(reason) => eprintln!("could not start a throwaway PostgreSQL cluster: {reason}"),
    }
    if std::net::TcpStream::connect_timeout(
        &"127.0.0.1:5432".parse().map_err(|_| "bad address")?,
        Duration::from_secs(1),
    )
    .is_ok()
    {
        return Ok("postgres://postgres@127.0.0.1:5432/postgres".to_string());
    }
    Err("set FULLHOUSE_TEST_POSTGRES_URL, install PostgreSQL's server binaries (initdb, pg_ctl), or run one on 127.0.0.1:5432".into())
}

/// Starts (or finds already running) the shared throwaway cluster and returns its URL.
fn throwaway_cluster() -> Result<String, String> {
    let bin = postgres_bin_dir().ok_or("initdb and pg_ctl not found")?;
    let root = std::env::temp_dir().join("fullhouse-test-postgres");
    fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    let lock = File::create(root.join("lock")).map_err(|e| e.to_string())?;
    lock.lock()
        .map_err(|e| format!("locking the cluster directory: {e}"))?;
    let port_file = root.join("port");
    if let Ok(port) = fs::read_to_string(&port_file) {
        let port = port.trim().to_string();
        if ready(&bin, &port) {
            return Ok(url_for(&port));
        }
    }
    let data = root.join("data");
    let as_root = is_root();
    if as_root {
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&root))?;
    }
    if !data.join("PG_VERSION").exists() {
        let _ = fs::remove_dir_all(&data);
        let mut initdb = pg_command(&bin.join("initdb"), as_root);
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        ]);
        run(&mut initdb)?;
    }
    let port = free_port()?;
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400",
        root.display()
    );
    let mut start = pg_command(&bin.join("pg_ctl"), as_root);
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(root.join("log"))
        .args(["-o", &options, "-w", "-t", "60", "start"]);
    run(&mut start)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready(&bin, &port.to_string()) {
        if Instant::now() > deadline {
            return Err("the throwaway cluster did not become ready".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    fs::write(&port_file, port.to_string()).map_err(|e| e.to_string())?;
    Ok(url_for(&port.to_string()))
}

fn url_for(port: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

fn ready(bin: &Path, port: &str) -> bool {
    Command::new(bin.join("pg_isready"))
        .args(["-h", "127.0.0.1", "-p", port, "-U", "postgres", "-q"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn postgres_bin_dir() -> Option<PathBuf> {
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL's tools refuse to run as root: run them as `postgres` then.
fn pg_command(program: &Path, as_root: bool) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Expands one async test body into a SQLite test and a PostgreSQL test.
///
/// ```ignore
/// both_backends! {
///     setup = my_crate_fixture;   // async fn(Backend) -> Option<Fixture>
///     async fn customers_are_listed_in_creation_order(fx: Fixture) { … }
/// }
/// ```
#[macro_export]
macro_rules! both_backends {
    (setup = $setup:path; $( $(#[$meta:meta])* async fn $name:ident($arg:ident : $ty:ty) $body:block )* ) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn body($arg: $ty) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    if let Some(fixture) = $setup($crate::fullhouse_core::Backend::Sqlite).await {
                        body(fixture).await;
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    if let Some(fixture) = $setup($crate::fullhouse_core::Backend::Postgres).await {
                        body(fixture).await;
                    }
                }
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:1/postgres", "x"),
            "postgres://u@h:1/x"
        );
        assert_eq!(
            with_database("postgres://u@h:1/db?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
    }
}
