//! The import wizard, once for every module: an upload is previewed (detection, header rows,
//! column mapping — automatic from header names in English, Danish and French, overridable —
//! and the first rows as they will be read), then imported by a job that reports progress,
//! attaches its result files (the rejected rows with the reason in the rightmost column; in
//! partial mode the imported rows too) and ends with the platform's "job finished" mail.
//!
//! A module says only what is its own, by implementing [`ImportTarget`]: its fields, how a
//! mapped row is checked ([`RowCheck`]), how the checked rows are written (one transaction), and
//! its [`ImportMode`]. [`run`] and [`run_job`] do the rest.
//!
//! The file is read twice. The first pass reads and checks every row and collects every problem
//! with its row, column and value, plus the rejected-rows file; the second pass reads it again
//! and hands the accepted rows, in batches, to the module's writer. Two passes keep memory flat
//! for a file of millions of rows (nothing is held but what the check needs, e.g. the keys seen
//! so far), and keep the write transaction — on SQLite, the one write connection — short and
//! free of anything but writes.
//!
//! Some refusals only come when a row is written: a seat a concurrent sale took between the
//! check and the booking, capacity another import used up. A partial import's writer reports
//! those with [`Batches::refuse`] (the rows come with their numbers from
//! [`Batches::next_rows`]), and may add cells of its own to a written row with
//! [`Batches::note`] (an id it made, a link), under the headers
//! [`ImportTarget::imported_columns`] names. When it does, a last pass reads the file once more
//! after the write and puts each row where it ended: refused at write time into the
//! rejected-rows file beside the first pass's refusals, written into the imported-rows file
//! with its notes.

mod job;
mod preview;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::error::Reason;
use crate::i18n::Msg;
use crate::jobs::JobContext;
use crate::tabular::{ColumnMap, FieldSpec, HeaderRows, Layout, Row};
use crate::{Error, Result};

pub use job::{
    describe, describe_in, enqueue, listed, listed_in, reason_in, run, run_job, Imported, Refused,
};
pub use preview::{preview, preview_file};

/// How to read the file: which rows are headers, which column is which field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadChoices {
    /// `"auto"` (default) or `{"count": n}`: the n first rows are headers ("ignore header rows").
    #[serde(default)]
    pub header_rows: HeaderRows,
    /// One entry per column: a field's name or `ignore`. Absent: mapped from the header names
    /// (or by position without a header).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

/// What happens to the good rows of a file that also has bad ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// A single bad row fails the import and nothing is written; the rejected-rows file lists
    /// every bad row.
    AllOrNothing,
    /// The good rows are written; the bad ones are in the rejected-rows file.
    Partial,
}

/// What a module imports. See the module documentation for the flow around it.
#[async_trait::async_trait]
pub trait ImportTarget: Send + Sync {
    /// One checked row, ready to write.
    type Value: Send + 'static;
    /// The check of the rows, with what it learned that the writing needs (ids looked up).
    type Check: RowCheck<Value = Self::Value>;
    /// What the writing produced (e.g. the audience it created), for [`ImportTarget::finished`].
    type Written: Send;

    /// The fields a column can feed, in their positional order (a file without a header).
    fn fields(&self) -> &'static [FieldSpec];

    fn mode(&self) -> ImportMode;

    /// How many checked rows [`ImportTarget::write`] gets at a time.
    fn batch_rows(&self) -> usize {
        1_000
    }

    /// The headers of the cells the writer adds to written rows with [`Batches::note`], after
    /// the file's own columns in the imported-rows file (partial mode). None by default.
    fn imported_columns(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether [`ImportTarget::write`] holds one write transaction from the first batch to the
    /// last. On SQLite that transaction holds the one write connection, so no progress is
    /// written while it lasts; a writer that commits as it goes says `false` and is reported
    /// on every batch.
    fn holds_write_transaction(&self) -> bool {
        true
    }

    /// Before the first pass: what checking needs (rules, keys already stored). An error here
    /// refuses the whole import.
    async fn check(&self) -> Result<Self::Check>;

    /// The second pass: writes every batch in one transaction, committed after the last one.
    /// An error rolls everything back.
    async fn write(&self, rows: Batches<'_, Self::Value>) -> Result<Self::Written>;

    /// The job's closing message, e.g. "imported 12 members into VIP": an engine message
    /// ([`crate::Msg`]) is written in the language of whoever started the import.
    async fn finished(&self, written: &Self::Written, rows: u64) -> Result<Reason>;

    /// The page of what the import wrote (the audience it filled), linked from the job.
    fn link(&self, _written: &Self::Written) -> Option<String> {
        None
    }
}

/// Why a row is refused: the field (core names its column and quotes the cell) and the reason,
/// an English sentence or an engine message ([`crate::Msg`]) the pages translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub field: String,
    pub reason: Reason,
}

impl Rejection {
    pub fn new(field: impl Into<String>, reason: impl Into<Reason>) -> Rejection {
        Rejection {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The verdict on one row: accepted, or every reason it is refused for.
pub type Verdict = std::result::Result<(), Vec<Rejection>>;

/// The check of an import's rows.
#[async_trait::async_trait]
pub trait RowCheck: Send + Sync + 'static {
    type Value: Send + 'static;

    /// The first pass: a chunk of rows in file order, one verdict per row, in the same order.
    /// A chunk at a time so that references can be looked up in one query per chunk; the check
    /// keeps what it saw (duplicates within the file) across chunks.
    async fn check(&mut self, columns: &Columns, rows: &[Row]) -> Result<Vec<Verdict>>;

    /// The second pass: the value of a row the first pass accepted. Runs on the reading thread;
    /// an error here is a fault (the first pass accepted the row), and rolls the import back.
    fn value(&self, columns: &Columns, row: &Row) -> Result<Self::Value>;
}

/// The columns of a file: its layout and which column feeds which field.
#[derive(Debug, Clone)]
pub struct Columns {
    pub layout: Layout,
    pub map: ColumnMap,
}

impl Columns {
    /// The trimmed value of `field` in `row`; `None` when unmapped or empty.
    pub fn get<'r>(&self, row: &'r Row, field: &str) -> Option<&'r str> {
        self.map.get(row, field)
    }

    /// How the column of `field` is named in messages: its header or letter (the field's own
    /// name when no column feeds it).
    pub fn name(&self, field: &str) -> String {
        self.map
            .column(field)
            .map(|c| self.layout.column_name(c))
            .unwrap_or_else(|| field.to_string())
    }
}

/// The checked rows, batch by batch, for [`ImportTarget::write`]. Asking for the next batch
/// reports the ones before it as written ("imported n rows") — except on SQLite when the
/// writer holds its write transaction throughout (see
/// [`ImportTarget::holds_write_transaction`]): that transaction holds the one write connection
/// a progress write would need. A second pass that fails (the file changed under it) comes out
/// of [`Batches::next`] as an error, so the writer returns it before committing.
pub struct Batches<'a, V> {
    received: mpsc::Receiver<RowBatch<V>>,
    job: Option<&'a JobContext>,
    handed: i64,
    outcome: Arc<Mutex<WriteOutcome>>,
}

/// Checked rows on their way to the writer, each with its row number; an error ends them.
pub(crate) type RowBatch<V> = Result<Vec<(u64, V)>>;

/// What the writer said about single rows: refused at write time, or written with extra cells.
#[derive(Debug, Default)]
pub(crate) struct WriteOutcome {
    pub(crate) refused: HashMap<u64, Vec<Rejection>>,
    pub(crate) notes: HashMap<u64, Vec<String>>,
}

impl<'a, V> Batches<'a, V> {
    pub(crate) fn new(
        received: mpsc::Receiver<RowBatch<V>>,
        job: Option<&'a JobContext>,
        reports: bool,
        outcome: Arc<Mutex<WriteOutcome>>,
    ) -> Batches<'a, V> {
        Batches {
            received,
            job: job.filter(|_| reports),
            handed: 0,
            outcome,
        }
    }

    /// The next batch; `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Vec<V>>> {
        Ok(self
            .next_rows()
            .await?
            .map(|rows| rows.into_iter().map(|(_, value)| value).collect()))
    }

    /// The next batch, each value with its row's number in the file (for [`Batches::refuse`]
    /// and [`Batches::note`]); `None` after the last.
    pub async fn next_rows(&mut self) -> Result<Option<Vec<(u64, V)>>> {
        if let (Some(job), true) = (self.job, self.handed > 0) {
            let refused = self.refused();
            let message = if refused > 0 {
                Msg::new("engine-import-written-refused")
                    .num("rows", self.handed - refused)
                    .num("refused", refused)
            } else {
                Msg::new("engine-import-written").num("rows", self.handed)
            };
            let message = message.render(job.lang());
            job.progress(self.handed, None, Some(&message)).await?;
        }
        let batch = self.received.recv().await.transpose()?;
        if let Some(batch) = &batch {
            self.handed += i64::try_from(batch.len()).unwrap_or(i64::MAX);
        }
        Ok(batch)
    }

    /// Refuses a row at write time (partial mode): it goes to the rejected-rows file with the
    /// reason, as if the first pass had refused it, and is not counted as written.
    pub fn refuse(&self, row: u64, rejection: Rejection) {
        if let Ok(mut outcome) = self.outcome.lock() {
            outcome.refused.entry(row).or_default().push(rejection);
        }
    }

    /// Cells to add to a written row in the imported-rows file, under
    /// [`ImportTarget::imported_columns`].
    pub fn note(&self, row: u64, cells: Vec<String>) {
        if let Ok(mut outcome) = self.outcome.lock() {
            outcome.notes.insert(row, cells);
        }
    }

    fn refused(&self) -> i64 {
        self.outcome
            .lock()
            .map(|o| i64::try_from(o.refused.len()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// The row numbers the first pass refused, skipped by the second pass in partial mode.
type Refusals = HashSet<u64>;

/// Runs blocking work (reading a file) off the async threads.
pub(crate) async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::internal(format!("the import stopped: {e}")))?
}
