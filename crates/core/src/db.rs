//! The database: SQLite (embedded default) or PostgreSQL, behind one handle.
//!
//! Queries are written once with SeaORM / sea-query and run on either backend. The one place the
//! backends differ in behaviour is concurrent writes: SQLite allows one writer at a time, and a
//! deferred transaction that reads and then writes fails at once with "database is locked"
//! whatever the busy timeout. So on SQLite every write goes through a pool of exactly **one**
//! connection: writers queue for it in the pool instead of racing for the file lock, and no
//! caller ever sees SQLITE_BUSY. Reads use a separate pool and run concurrently thanks to WAL.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, SqlxPostgresConnector,
    SqlxSqliteConnector, TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, SchemaManager};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::{Error, Result};

/// Hand-written SQL for either backend: written with `$1`-style placeholders (PostgreSQL's),
/// turned into `?1`-style for SQLite (both bind by position, and a number may repeat). For the
/// few statements the query builder cannot say, such as set-wise conditional upserts.
pub fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    let sql = match backend {
        DbBackend::Postgres => sql.to_string(),
        _ => sql.replace('$', "?"),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// The column types [`wanted_rows`] hands over.
#[derive(Debug, Clone, Copy)]
pub enum SqlType {
    Text,
    BigInt,
}

impl SqlType {
    fn name(self) -> &'static str {
        match self {
            SqlType::Text => "TEXT",
            SqlType::BigInt => "BIGINT",
        }
    }
}

/// Rows handed to a set-wise [`statement`] as a named relation, for `WITH {this} …`: a `VALUES`
/// list on SQLite; on PostgreSQL `jsonb_to_recordset` over one JSON parameter, so that the
/// statement's text is the same for any number of rows (prepared once per connection, and the
/// server does not parse a new list of parameters for every group). The parameters are pushed
/// onto `values`, numbered after those already there; a cell that is neither text nor integer
/// is sent as `NULL`.
pub fn wanted_rows(
    backend: DbBackend,
    name: &str,
    columns: &[(&str, SqlType)],
    rows: &[Vec<sea_orm::Value>],
    values: &mut Vec<sea_orm::Value>,
) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    if backend == DbBackend::Postgres {
        let array: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| {
                let object: serde_json::Map<String, serde_json::Value> = names
                    .iter()
                    .zip(row)
                    .map(|(n, v)| (n.to_string(), json_of(v).unwrap_or_default()))
                    .collect();
                serde_json::Value::Object(object)
            })
            .collect();
        values.push(serde_json::Value::Array(array).into());
        let typed: Vec<String> = columns
            .iter()
            .map(|(n, t)| format!("{n} {}", t.name()))
            .collect();
        return format!(
            "{name} AS (SELECT {} FROM jsonb_to_recordset(${}) AS r ({}))",
            names.join(", "),
            values.len(),
            typed.join(", ")
        );
    }
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        let mut cells = Vec::with_capacity(columns.len());
        for ((_, kind), value) in columns.iter().zip(row) {
            values.push(value.clone());
            cells.push(format!("CAST(${} AS {})", values.len(), kind.name()));
        }
        tuples.push(format!("({})", cells.join(", ")));
    }
    format!(
        "{name} ({}) AS (VALUES {})",
        names.join(", "),
        tuples.join(", ")
    )
}

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle to the database: cheap to clone, shared by every service.
#[derive(Clone)]
pub struct Db {
    backend: Backend,
    read: DatabaseConnection,
    write: DatabaseConnection,
    sqlite_pool: Option<sqlx::SqlitePool>,
    pg_pool: Option<sqlx::PgPool>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

/// How long a writer waits for SQLite's single write connection before giving up. Generous on
/// purpose: a queue of writers each taking milliseconds drains long before this.
const SQLITE_WRITE_WAIT: Duration = Duration::from_secs(120);

impl Db {
    /// Connects to `url`: `sqlite://path/to/file.db` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::connect_postgres(url).await
        } else if url.starts_with("sqlite:") {
            Self::connect_sqlite(url).await
        } else {
            Err(Error::internal(format!(
                "unsupported database URL `{url}`: use sqlite://FILE or postgres://…"
            )))
        }
    }

    /// Opens (creating when missing) the SQLite database file at `path`.
    pub async fn open_sqlite_file(path: &Path) -> Result<Db> {
        Self::connect_sqlite(&format!("sqlite://{}", path.display())).await
    }

    async fn connect_sqlite(url: &str) -> Result<Db> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::internal(format!("bad SQLite URL `{url}`: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(SQLITE_WRITE_WAIT)
            .connect_with(options.clone())
            .await
            .map_err(sqlx_error)?;
        let read_pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(sqlx_error)?;
        Ok(Db {
            backend: Backend::Sqlite,
            read: SqlxSqliteConnector::from_sqlx_sqlite_pool(read_pool),
            write: SqlxSqliteConnector::from_sqlx_sqlite_pool(write_pool.clone()),
            sqlite_pool: Some(write_pool),
            pg_pool: None,
        })
    }

    async fn connect_postgres(url: &str) -> Result<Db> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| Error::internal(format!("bad PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(sqlx_error)?;
        let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
        Ok(Db {
            backend: Backend::Postgres,
            read: conn.clone(),
            write: conn,
            sqlite_pool: None,
            pg_pool: Some(pool),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn db_backend(&self) -> DbBackend {
        match self.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }

    /// The connection for reads that need no transaction.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.read
    }

    /// Starts a write transaction. On SQLite this waits for the single write connection, so
    /// writes never fail half-way with "database is locked".
    pub async fn begin_write(&self) -> Result<DatabaseTransaction> {
        Ok(self.write.begin().await?)
    }

    /// Runs one statement that writes, outside an explicit transaction.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.write
    }

    /// The raw PostgreSQL pool, for backend-specific fast paths such as `COPY`.
    pub fn postgres_pool(&self) -> Option<&sqlx::PgPool> {
        self.pg_pool.as_ref()
    }

    /// The raw SQLite write pool, for backend-specific fast paths such as bulk loads.
    pub fn sqlite_write_pool(&self) -> Option<&sqlx::SqlitePool> {
        self.sqlite_pool.as_ref()
    }

    /// Checks the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        self.read.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Applies every migration in `migrations` that has not been applied yet, in order, each in
    /// its own transaction. A migration listed twice (two modules sharing a dependency) runs once.
    pub async fn migrate(&self, migrations: Vec<Box<dyn MigrationTrait>>) -> Result<Vec<String>> {
        self.write
            .execute_unprepared(
                "CREATE TABLE IF NOT EXISTS fullhouse_migrations (\
                 name VARCHAR(200) NOT NULL PRIMARY KEY, applied_at VARCHAR(40) NOT NULL)",
            )
            .await?;
        let mut applied = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for migration in migrations {
            let name = migration.name().to_string();
            if !seen.insert(name.clone()) || self.is_applied(&name).await? {
                continue;
            }
            let txn = self.write.begin().await?;
            migration.up(&SchemaManager::new(&txn)).await?;
            txn.execute(sea_orm::Statement::from_sql_and_values(
                self.db_backend(),
                match self.backend {
                    Backend::Sqlite => {
                        "INSERT INTO fullhouse_migrations (name, applied_at) VALUES (?, ?)"
                    }
                    Backend::Postgres => {
                        "INSERT INTO fullhouse_migrations (name, applied_at) VALUES ($1, $2)"
                    }
                },
                [name.clone().into(), chrono::Utc::now().to_rfc3339().into()],
            ))
            .await?;
            txn.commit().await?;
            tracing::info!(migration = %name, "applied migration");
            applied.push(name);
        }
        Ok(applied)
    }

    async fn is_applied(&self, name: &str) -> Result<bool> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT name FROM fullhouse_migrations WHERE name = ?",
            Backend::Postgres => "SELECT name FROM fullhouse_migrations WHERE name = $1",
        };
        let row = self
            .write
            .query_one(sea_orm::Statement::from_sql_and_values(
                self.db_backend(),
                sql,
                [name.into()],
            ))
            .await?;
        Ok(row.is_some())
    }
}

fn sqlx_error(err: sqlx::Error) -> Error {
    Error::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(err)))
}

/// Rows per multi-row insert on SQLite (far below its limit on bound parameters).
const SQLITE_INSERT_CHUNK: usize = 500;

/// Inserts rows of one table, every row setting the same columns.
///
/// On PostgreSQL as one statement whose text depends only on the table and its columns:
/// `INSERT … SELECT … FROM jsonb_populate_recordset(NULL::table, $1)`, the rows in one JSON
/// parameter. A multi-row `VALUES` insert has a new text for every number of rows, so the server
/// parses and plans hundreds of parameters for each group of orders, and the connection prepares
/// a statement it never uses again (`pgbench`, a 50-row ticket insert: 1.0 ms as `VALUES`,
/// 0.7 ms as this). The table's own column types read the JSON. SQLite takes multi-row inserts.
pub async fn insert_rows<A>(
    conn: &impl ConnectionTrait,
    rows: Vec<A>,
) -> std::result::Result<(), sea_orm::DbErr>
where
    A: sea_orm::ActiveModelTrait + Send,
    <A::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    if rows.is_empty() {
        return Ok(());
    }
    if conn.get_database_backend() == DbBackend::Postgres {
        if let Some((sql, json)) = json_insert(&rows) {
            conn.execute(statement(DbBackend::Postgres, &sql, vec![json.into()]))
                .await?;
            return Ok(());
        }
    }
    let mut rows = rows;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(SQLITE_INSERT_CHUNK));
        <A::Entity as sea_orm::EntityTrait>::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
        rows = rest;
    }
    Ok(())
}

/// The JSON insert of [`insert_rows`], or `None` when the rows do not all set the same columns
/// or hold a value JSON cannot carry exactly (those go as a multi-row insert).
fn json_insert<A: sea_orm::ActiveModelTrait>(rows: &[A]) -> Option<(String, serde_json::Value)> {
    use sea_orm::{EntityName, IdenStatic, Iterable};
    type Column<A> = <<A as sea_orm::ActiveModelTrait>::Entity as sea_orm::EntityTrait>::Column;
    let set_in = |row: &A| -> Vec<bool> {
        Column::<A>::iter()
            .map(|c| row.get(c).into_value().is_some())
            .collect()
    };
    let first = rows.first()?;
    let set = set_in(first);
    let columns: Vec<Column<A>> = Column::<A>::iter()
        .zip(&set)
        .filter_map(|(c, is_set)| is_set.then_some(c))
        .collect();
    let mut array = Vec::with_capacity(rows.len());
    for row in rows {
        if set_in(row) != set {
            return None;
        }
        let mut object = serde_json::Map::with_capacity(columns.len());
        for column in &columns {
            let value = row.get(*column).into_value()?;
            object.insert(column.as_str().to_string(), json_of(&value)?);
        }
        array.push(serde_json::Value::Object(object));
    }
    let table = A::Entity::default().table_name().to_string();
    let names: Vec<String> = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    let names = names.join(", ");
    // sqlx sends a JSON parameter as `jsonb`.
    Some((
        format!(
            "INSERT INTO \"{table}\" ({names}) SELECT {names} \
             FROM jsonb_populate_recordset(NULL::\"{table}\", $1)"
        ),
        serde_json::Value::Array(array),
    ))
}

/// A value as the JSON its column's type reads back the same; `None` for kinds not carried.
/// Times are written in UTC without an offset, to the microsecond: sqlx sets every session's
/// time zone to UTC, and PostgreSQL keeps microseconds (a bound time is truncated to them).
fn json_of(value: &sea_orm::Value) -> Option<serde_json::Value> {
    use sea_orm::Value as V;
    use serde_json::Value as J;
    Some(match value {
        V::Bool(v) => v.map_or(J::Null, J::Bool),
        V::TinyInt(v) => v.map_or(J::Null, J::from),
        V::SmallInt(v) => v.map_or(J::Null, J::from),
        V::Int(v) => v.map_or(J::Null, J::from),
        V::BigInt(v) => v.map_or(J::Null, J::from),
        V::TinyUnsigned(v) => v.map_or(J::Null, J::from),
        V::SmallUnsigned(v) => v.map_or(J::Null, J::from),
        V::Unsigned(v) => v.map_or(J::Null, J::from),
        V::BigUnsigned(v) => v.map_or(J::Null, J::from),
        V::String(v) => v.as_ref().map_or(J::Null, |s| J::String(s.to_string())),
        V::Json(v) => v.as_ref().map_or(J::Null, |j| j.as_ref().clone()),
        V::ChronoDateTimeUtc(v) => v.as_ref().map_or(J::Null, |t| {
            J::String(t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
        }),
        V::ChronoDate(v) => v
            .as_ref()
            .map_or(J::Null, |d| J::String(d.format("%Y-%m-%d").to_string())),
        _ => return None,
    })
}
