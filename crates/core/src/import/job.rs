//! The import itself ([`run`]), and the job around it ([`run_job`], [`enqueue`]).
//!
//! Both result files (rejected rows, imported rows) are written through [`TableWriter`]: a cell
//! of the upload that starts a formula comes back written `'=…`, never run by the spreadsheet
//! that opens the file (tested in `tests/import.rs`).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{
    run_blocking, Batches, Columns, ImportMode, ImportTarget, ReadChoices, Refusals, RowBatch,
    RowCheck, WriteOutcome,
};
use crate::error::FieldError;
use crate::http::AppState;
use crate::i18n::{Lang, Msg};
use crate::jobs::{JobContext, JobId, NewJob, Notify, NOTIFY_KEY};
use crate::tabular::{
    ColumnMap, ExportFormat, FieldSpec, Problems, RejectedRows, Row, TableReader, TableWriter,
};
use crate::uploads::{self, UploadId};
use crate::{Caller, Db, Error, Result};

/// Rows per check chunk and per progress report of the first pass.
const CHUNK: usize = 5_000;

/// How many problems the job's error (and so the mail) lists line by line.
const LISTED_PROBLEMS: usize = 50;

/// The name of the rejected-rows file on the job.
pub const REJECTED_ROWS_FILE: &str = "rejected-rows.csv";
/// The name of the imported-rows file on the job (partial mode).
pub const IMPORTED_ROWS_FILE: &str = "imported-rows.csv";

/// A finished import.
#[derive(Debug)]
pub struct Imported<W> {
    pub written: W,
    /// Rows written.
    pub rows: u64,
    /// Rows refused (partial mode; 0 in all-or-nothing mode).
    pub rejected: u64,
    /// The refused rows with their reasons (partial mode, when some were refused).
    pub rejected_rows_csv: Option<Vec<u8>>,
    /// The rows written, as in the file (partial mode: which of them went in is news; in
    /// all-or-nothing mode it is the whole file, so none is made).
    pub imported_rows_csv: Option<Vec<u8>>,
}

/// A refused import: every problem, and the bad rows with their reasons as a CSV.
#[derive(Debug)]
pub struct Refused {
    pub error: Error,
    /// Rows with errors.
    pub bad_rows: u64,
    pub rejected_rows_csv: Option<Vec<u8>>,
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Refused {
            error,
            bad_rows: 0,
            rejected_rows_csv: None,
        }
    }
}

/// Opens the file and decides its layout and mapping.
pub(super) fn open(
    path: &Path,
    choices: &ReadChoices,
    fields: &[FieldSpec],
) -> Result<(TableReader, Columns)> {
    let mut reader = TableReader::open(path)?;
    let layout = reader.layout(choices.header_rows, fields);
    let map = match &choices.columns {
        Some(columns) => ColumnMap::from_choices(columns, fields)?,
        None => layout.automatic_map(fields),
    };
    Ok((reader, Columns { layout, map }))
}

/// Imports the file at `path` into `target`: checks every row, then writes (all of them, or the
/// good ones in partial mode). `job`, when given, hears the progress.
pub async fn run<T: ImportTarget>(
    target: &T,
    db: &Db,
    path: &Path,
    choices: &ReadChoices,
    job: Option<&JobContext>,
) -> std::result::Result<Imported<T::Written>, Refused> {
    let started = std::time::Instant::now();
    let check = target.check().await?;
    let first = check_pass(target.fields(), check, path, choices, job).await?;
    let all_bad = first.rows > 0 && first.refused.len() as u64 == first.rows;
    if first.unreadable
        || (first.bad_rows > 0 && target.mode() == ImportMode::AllOrNothing)
        || all_bad
    {
        let bad_rows = first.problems.rows();
        return Err(Refused {
            error: first.problems.into_error(),
            bad_rows,
            rejected_rows_csv: Some(first.rejects.finish()?),
        });
    }
    if first.rows == 0 {
        return Err(Error::invalid("file", Msg::new("engine-file-no-rows")).into());
    }
    let checked_after = started.elapsed();
    let partial = target.mode() == ImportMode::Partial;
    // A writer that notes cells on its rows gets the imported-rows file from the last pass.
    let late = partial && !target.imported_columns().is_empty();
    let (batches, received) = mpsc::channel::<RowBatch<T::Value>>(4);
    let (path_owned, choices_owned) = (path.to_path_buf(), choices.clone());
    let fields = target.fields();
    let batch_rows = target.batch_rows().max(1);
    let (check, refused) = (first.check, first.refused);
    let refused = std::sync::Arc::new(refused);
    let refused_read = refused.clone();
    let reading = tokio::task::spawn_blocking(move || {
        write_pass_reader(
            &path_owned,
            &choices_owned,
            fields,
            &check,
            &refused_read,
            partial && !late,
            batch_rows,
            &batches,
        )
    });
    let outcome = std::sync::Arc::new(std::sync::Mutex::new(WriteOutcome::default()));
    let reports = db.backend() == crate::Backend::Postgres || !target.holds_write_transaction();
    let written = target
        .write(Batches::new(received, job, reports, outcome.clone()))
        .await;
    let mut imported_rows_csv = reading
        .await
        .map_err(|e| Error::internal(format!("the import stopped: {e}")))?;
    let written = written?;
    let outcome = std::mem::take(
        &mut *outcome
            .lock()
            .map_err(|_| Error::internal("an import's write outcome was poisoned"))?,
    );
    let late_refused = outcome.refused.len() as u64;
    let mut rejects = first.rejects;
    if partial && (late || late_refused > 0) {
        let (path, choices) = (path.to_path_buf(), choices.clone());
        let extra = target.imported_columns();
        let (back, csv) = run_blocking(move || {
            last_pass(&path, &choices, fields, &refused, &outcome, extra, rejects)
        })
        .await?;
        rejects = back;
        imported_rows_csv = Some(csv);
    }
    let rejected = first.bad_rows + late_refused;
    let rows = first.rows.saturating_sub(rejected);
    tracing::info!(
        rows,
        rejected,
        check_seconds = checked_after.as_secs_f64(),
        write_seconds = (started.elapsed() - checked_after).as_secs_f64(),
        "import finished"
    );
    Ok(Imported {
        written,
        rows,
        rejected,
        rejected_rows_csv: if rejected > 0 {
            Some(rejects.finish()?)
        } else {
            None
        },
        imported_rows_csv,
    })
}

/// The last pass (see the module documentation): the rows refused at write time join the
/// rejected-rows file, and the written ones make the imported-rows file with their notes.
fn last_pass(
    path: &Path,
    choices: &ReadChoices,
    fields: &[FieldSpec],
    refused: &Refusals,
    outcome: &WriteOutcome,
    extra: &[&str],
    mut rejects: RejectedRows,
) -> Result<(RejectedRows, Vec<u8>)> {
    let (reader, columns) = open(path, choices, fields)?;
    let mut headers: Vec<&str> = columns.layout.headers.iter().map(String::as_str).collect();
    let width = headers.len();
    headers.extend_from_slice(extra);
    let delimiter = reader.delimiter.unwrap_or(b',');
    let mut imported = TableWriter::new(ExportFormat::Csv, &headers, delimiter)?;
    for row in reader {
        let row = row.map_err(|e| Error::invalid_fields(vec![e]))?;
        if refused.contains(&row.number) {
            continue;
        }
        if let Some(rejections) = outcome.refused.get(&row.number) {
            let errors: Vec<FieldError> = rejections
                .iter()
                .map(|r| {
                    let value = columns.get(&row, &r.field).unwrap_or_default().to_string();
                    FieldError::at_row(row.number, columns.name(&r.field), r.reason.clone())
                        .with_value(value)
                })
                .collect();
            rejects.reject(&row, &errors)?;
            continue;
        }
        let mut cells = row.cells.clone();
        if !extra.is_empty() {
            cells.resize(width.max(cells.len()), String::new());
            cells.truncate(width);
            if let Some(notes) = outcome.notes.get(&row.number) {
                cells.extend(notes.iter().cloned());
            }
        }
        imported.write_row(&cells)?;
    }
    Ok((rejects, imported.finish()?))
}

/// What the first pass found.
struct FirstPass<C> {
    check: C,
    rows: u64,
    bad_rows: u64,
    refused: Refusals,
    problems: Problems,
    rejects: RejectedRows,
    /// The file could not be read to its end: nothing is written, whatever the mode.
    unreadable: bool,
}

/// The first pass: the file read on a blocking thread, its rows checked chunk by chunk here.
async fn check_pass<C: RowCheck>(
    fields: &'static [FieldSpec],
    mut check: C,
    path: &Path,
    choices: &ReadChoices,
    job: Option<&JobContext>,
) -> std::result::Result<FirstPass<C>, Refused> {
    let (path, choices) = (path.to_path_buf(), choices.clone());
    let (reader, columns) = run_blocking(move || {
        let (reader, columns) = open(&path, &choices, fields)?;
        columns.map.require(fields)?;
        Ok((reader, columns))
    })
    .await?;
    let delimiter = reader.delimiter.unwrap_or(b',');
    let mut rejects = RejectedRows::new(&columns.layout.headers, delimiter)?;
    let (chunks, mut received) = mpsc::channel::<std::result::Result<Vec<Row>, FieldError>>(2);
    let reading = tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::with_capacity(CHUNK);
        for row in reader {
            match row {
                Ok(row) => chunk.push(row),
                Err(unreadable) => {
                    let full = std::mem::take(&mut chunk);
                    if !full.is_empty() && chunks.blocking_send(Ok(full)).is_err() {
                        return;
                    }
                    let _ = chunks.blocking_send(Err(unreadable));
                    return;
                }
            }
            if chunk.len() >= CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                if chunks.blocking_send(Ok(full)).is_err() {
                    return;
                }
            }
        }
        if !chunk.is_empty() {
            let _ = chunks.blocking_send(Ok(chunk));
        }
    });
    let mut problems = Problems::new();
    let mut refused = Refusals::new();
    let (mut rows, mut bad_rows, mut unreadable) = (0u64, 0u64, false);
    while let Some(chunk) = received.recv().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                // Counted as a row, as the reader counted it: "no rows" is not what is wrong.
                rows += 1;
                problems.push(error);
                unreadable = true;
                continue;
            }
        };
        let verdicts = check.check(&columns, &chunk).await?;
        if verdicts.len() != chunk.len() {
            return Err(Error::internal(format!(
                "an import's check gave {} verdicts for {} rows",
                verdicts.len(),
                chunk.len()
            ))
            .into());
        }
        for (row, verdict) in chunk.iter().zip(verdicts) {
            let Err(rejections) = verdict else { continue };
            let errors: Vec<FieldError> = rejections
                .into_iter()
                .map(|r| {
                    let value = columns.get(row, &r.field).unwrap_or_default().to_string();
                    FieldError::at_row(row.number, columns.name(&r.field), r.reason)
                        .with_value(value)
                })
                .collect();
            if errors.is_empty() {
                continue;
            }
            rejects.reject(row, &errors)?;
            refused.insert(row.number);
            bad_rows += 1;
            for error in errors {
                problems.push(error);
            }
        }
        rows += chunk.len() as u64;
        if let Some(job) = job {
            let message = Msg::new("engine-import-checked")
                .num("rows", rows)
                .render(job.lang());
            job.progress(
                i64::try_from(rows).unwrap_or(i64::MAX),
                None,
                Some(&message),
            )
            .await?;
        }
    }
    reading
        .await
        .map_err(|e| Error::internal(format!("the import stopped: {e}")))?;
    Ok(FirstPass {
        check,
        rows,
        bad_rows,
        refused,
        problems,
        rejects,
        unreadable,
    })
}

/// The second pass's reading side: the accepted rows' values in batches, and in partial mode the
/// imported-rows file. A failure goes down the channel, so the writer rolls back rather than
/// taking the end of the batches for the end of the file.
#[allow(clippy::too_many_arguments)]
fn write_pass_reader<C: RowCheck>(
    path: &Path,
    choices: &ReadChoices,
    fields: &[FieldSpec],
    check: &C,
    refused: &Refusals,
    partial: bool,
    batch_rows: usize,
    batches: &mpsc::Sender<RowBatch<C::Value>>,
) -> Option<Vec<u8>> {
    let read = || -> Result<Option<Vec<u8>>> {
        let (reader, columns) = open(path, choices, fields)?;
        let mut imported = if partial {
            let headers: Vec<&str> = columns.layout.headers.iter().map(String::as_str).collect();
            let delimiter = reader.delimiter.unwrap_or(b',');
            Some(TableWriter::new(ExportFormat::Csv, &headers, delimiter)?)
        } else {
            None
        };
        let mut batch = Vec::with_capacity(batch_rows);
        for row in reader {
            let row = row.map_err(|e| Error::invalid_fields(vec![e]))?;
            if refused.contains(&row.number) {
                continue;
            }
            batch.push((row.number, check.value(&columns, &row)?));
            if let Some(imported) = &mut imported {
                imported.write_row(&row.cells)?;
            }
            if batch.len() >= batch_rows {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_rows));
                if batches.blocking_send(Ok(full)).is_err() {
                    // The writer stopped; its error is the one reported.
                    return Ok(None);
                }
            }
        }
        if !batch.is_empty() {
            let _ = batches.blocking_send(Ok(batch));
        }
        imported.map(TableWriter::finish).transpose()
    };
    match read() {
        Ok(imported) => imported,
        Err(error) => {
            let _ = batches.blocking_send(Err(error));
            None
        }
    }
}

/// The job's part: the stored upload imported into `target`. A success deletes the upload (a
/// failed import keeps it, for a retry, until the uploads sweep), attaches the result files and
/// closes with the target's message; a refusal attaches the rejected rows and fails the job with
/// every problem listed. The outcome mail is the worker's "job finished" mail, sent to whoever
/// [`enqueue`] put in the payload.
pub async fn run_job<T: ImportTarget>(
    ctx: &JobContext,
    target: &T,
    upload: &UploadId,
    choices: &ReadChoices,
) -> Result<()> {
    let (_, key) = uploads::file_key(ctx.db(), &ctx.org, upload).await?;
    let file = ctx.files().download_to_temp(&key).await?;
    let path = PathBuf::from(file.path());
    match run(target, ctx.db(), &path, choices, Some(ctx)).await {
        Ok(imported) => {
            if let Err(err) = uploads::forget(ctx.db(), ctx.files(), &ctx.org, upload).await {
                tracing::warn!(error = ?err, "an imported upload was not deleted");
            }
            let csv = "text/csv; charset=utf-8";
            if let Some(rejected) = imported.rejected_rows_csv {
                ctx.attach_file(REJECTED_ROWS_FILE, csv, Bytes::from(rejected))
                    .await?;
            }
            if let Some(rows) = imported.imported_rows_csv {
                ctx.attach_file(IMPORTED_ROWS_FILE, csv, Bytes::from(rows))
                    .await?;
            }
            if let Some(link) = target.link(&imported.written) {
                ctx.set_link(&link).await?;
            }
            let lang = ctx.lang();
            let mut message = target
                .finished(&imported.written, imported.rows)
                .await?
                .render(lang);
            if imported.rejected > 0 {
                message = Msg::new("engine-import-rows-refused")
                    .arg("finished", message)
                    .num("refused", imported.rejected)
                    .arg("file", REJECTED_ROWS_FILE)
                    .render(lang);
            }
            let rows = i64::try_from(imported.rows).unwrap_or(i64::MAX);
            ctx.progress(rows, Some(rows), Some(&message)).await
        }
        Err(refused) => {
            if let Some(csv) = refused.rejected_rows_csv {
                ctx.attach_file(
                    REJECTED_ROWS_FILE,
                    "text/csv; charset=utf-8",
                    Bytes::from(csv),
                )
                .await?;
            }
            Err(listed_in(ctx.lang(), refused.error, refused.bad_rows))
        }
    }
}

/// Queues an import job of `kind` with `payload` (which names its `upload_id`, so the uploads
/// sweep keeps the file while the job waits), telling the caller the outcome by mail.
pub async fn enqueue(
    state: &AppState,
    caller: &Caller,
    kind: &str,
    title: String,
    mut payload: serde_json::Value,
) -> Result<JobId> {
    if let Some(user) = &caller.user {
        let user = state.tenancy().user(&caller.org, user).await?;
        let notify = Notify {
            email: user.email,
            name: user.name,
            language: user.language,
        };
        let notify = serde_json::to_value(notify).map_err(|e| Error::internal(e.to_string()))?;
        if let Some(object) = payload.as_object_mut() {
            object.insert(NOTIFY_KEY.into(), notify);
        }
    }
    let mut new = NewJob::new(kind, title, payload);
    new.created_by = Some(caller.actor());
    let txn = state.db.begin_write().await?;
    let id = crate::jobs::enqueue(&txn, &caller.org, new).await?;
    txn.commit().await?;
    Ok(id)
}

/// The error with every problem on its own line (up to [`LISTED_PROBLEMS`]), so the Jobs page,
/// the API and the mail all show each bad row, its column, value and reason; in English.
pub fn listed(error: Error, bad_rows: u64) -> Error {
    listed_in(Lang::En, error, bad_rows)
}

/// [`listed`], in `lang`: the job's error is stored in the language of whoever started it.
pub fn listed_in(lang: Lang, error: Error, bad_rows: u64) -> Error {
    let Error::Validation { message, fields } = error else {
        return error;
    };
    if fields.iter().all(|f| f.row.is_none()) {
        return Error::Validation { message, fields };
    }
    let mut text = Msg::new("engine-import-nothing-imported")
        .num("rows", bad_rows)
        .render(lang);
    for field in fields.iter().take(LISTED_PROBLEMS) {
        text.push('\n');
        text.push_str(&describe_in(lang, field, reason_in));
    }
    if fields.len() > LISTED_PROBLEMS {
        text.push('\n');
        text.push_str(
            &Msg::new("engine-import-more-problems")
                .arg("file", REJECTED_ROWS_FILE)
                .num("errors", fields.len())
                .render(lang),
        );
    }
    Error::Validation {
        message: text,
        fields,
    }
}

/// "row 7, Quantity `0`: must be 1 or more".
pub fn describe(field: &FieldError) -> String {
    describe_in(Lang::En, field, reason_in)
}

/// A field error's reason in `lang`: its engine message rendered, else its English reason.
pub fn reason_in(lang: Lang, field: &FieldError) -> String {
    match &field.msg {
        Some(msg) => msg.render(lang),
        None => field.reason.clone(),
    }
}

/// [`describe`] in `lang`, the reason given by `reason` (the pages pass theirs, which also
/// translate the common [`Problem`](crate::Problem)s).
pub fn describe_in(
    lang: Lang,
    field: &FieldError,
    reason: fn(Lang, &FieldError) -> String,
) -> String {
    let place = match (field.row, field.value.as_deref().filter(|v| !v.is_empty())) {
        (Some(row), Some(value)) => Msg::new("engine-at-row-value")
            .num("row", row)
            .arg("field", &field.field)
            .arg("value", value)
            .render(lang),
        (Some(row), None) => Msg::new("engine-at-row")
            .num("row", row)
            .arg("field", &field.field)
            .render(lang),
        (None, Some(value)) => format!("{} `{value}`", field.field),
        (None, None) => field.field.clone(),
    };
    Msg::new("engine-place-reason")
        .arg("place", place)
        .arg("reason", reason(lang, field))
        .render(lang)
}
