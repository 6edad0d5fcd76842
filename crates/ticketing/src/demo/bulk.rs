//! Multi-row INSERTs for the demo's millions of rows, written once for SQLite and PostgreSQL.
//!
//! Rows are collected into batches of one fixed size per table, and every full batch of a table
//! reuses one statement text (built once by sea-query), so the driver prepares each statement
//! once and then only binds values. The size keeps a statement under SQLite's limit of 32,766
//! bound parameters (PostgreSQL allows 65,535).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{DbBackend, Statement, Value};
use tokio::sync::mpsc;

/// A table and the columns the demo fills, in the order of each row's values.
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

/// The most bound parameters in one statement, under SQLite's and PostgreSQL's limits.
const MAX_PARAMETERS: usize = 32_766;
/// The most rows in one statement: beyond this, bigger statements stop paying off.
const MAX_ROWS: usize = 1_000;

/// The loader has stopped (its database work failed): stop producing.
#[derive(Debug)]
pub struct Stopped;

/// Where finished statements go: the task that runs them in the write transaction.
pub struct Output {
    backend: DbBackend,
    sender: mpsc::Sender<Statement>,
}

impl Output {
    pub fn new(backend: DbBackend, sender: mpsc::Sender<Statement>) -> Output {
        Output { backend, sender }
    }

    /// Hands over one statement; waits while the loader is behind.
    pub fn send(&self, statement: Statement) -> Result<(), Stopped> {
        self.sender.blocking_send(statement).map_err(|_| Stopped)
    }
}

/// Rows of one table waiting to be inserted.
pub struct Batch {
    table: &'static Table,
    rows_per_statement: usize,
    full_statement: Option<String>,
    values: Vec<Value>,
    rows: usize,
}

impl Batch {
    pub fn new(table: &'static Table) -> Batch {
        let rows_per_statement = (MAX_PARAMETERS / table.columns.len()).min(MAX_ROWS);
        Batch {
            table,
            rows_per_statement,
            full_statement: None,
            values: Vec::with_capacity(rows_per_statement * table.columns.len()),
            rows: 0,
        }
    }

    /// Adds one row (values in the table's column order); sends a statement when the batch is
    /// full.
    pub fn push<const N: usize>(&mut self, row: [Value; N], out: &Output) -> Result<(), Stopped> {
        debug_assert_eq!(N, self.table.columns.len(), "row of {}", self.table.name);
        self.values.extend(row);
        self.rows += 1;
        if self.rows == self.rows_per_statement {
            let sql = self
                .full_statement
                .get_or_insert_with(|| insert_sql(out.backend, self.table, self.rows_per_statement))
                .clone();
            self.send(sql, out)?;
        }
        Ok(())
    }

    /// Sends the rows still waiting.
    pub fn flush(&mut self, out: &Output) -> Result<(), Stopped> {
        if self.rows == 0 {
            return Ok(());
        }
        let sql = insert_sql(out.backend, self.table, self.rows);
        self.send(sql, out)
    }

    fn send(&mut self, sql: String, out: &Output) -> Result<(), Stopped> {
        let capacity = self.rows_per_statement * self.table.columns.len();
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(capacity));
        self.rows = 0;
        out.send(Statement::from_sql_and_values(out.backend, sql, values))
    }
}

/// `INSERT INTO table (columns) VALUES (?, …), …` for `rows` rows, as sea-query writes it for
/// `backend`. Every value is a placeholder, so the text depends only on the row count.
fn insert_sql(backend: DbBackend, table: &Table, rows: usize) -> String {
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(table.name))
        .columns(table.columns.iter().map(|c| Alias::new(*c)));
    for _ in 0..rows {
        insert.values_panic(
            table
                .columns
                .iter()
                .map(|_| SimpleExpr::Value(Value::BigInt(None))),
        );
    }
    backend.build(&insert).sql
}

// Value constructors. Absent values keep their column's type (a typed NULL), since PostgreSQL
// checks the type of every parameter, NULL or not.

pub fn text(value: &str) -> Value {
    Value::String(Some(Box::new(value.to_owned())))
}

pub fn owned_text(value: String) -> Value {
    Value::String(Some(Box::new(value)))
}

pub fn optional_text(value: Option<String>) -> Value {
    Value::String(value.map(Box::new))
}

pub fn int(value: i64) -> Value {
    Value::BigInt(Some(value))
}

pub fn optional_int(value: Option<i64>) -> Value {
    Value::BigInt(value)
}

pub fn float(value: Option<f64>) -> Value {
    Value::Double(value)
}

pub fn boolean(value: bool) -> Value {
    Value::Bool(Some(value))
}

pub fn time(value: DateTime<Utc>) -> Value {
    Value::ChronoDateTimeUtc(Some(Box::new(value)))
}

pub fn optional_time(value: Option<DateTime<Utc>>) -> Value {
    Value::ChronoDateTimeUtc(value.map(Box::new))
}

pub fn date(value: Option<NaiveDate>) -> Value {
    Value::ChronoDate(value.map(Box::new))
}
