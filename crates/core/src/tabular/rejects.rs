//! What went wrong with an import: every bad row's errors (row, column, value, reason), and a
//! rejected-rows file — the original rows with the reason in a column at the right — that the
//! organizer can fix in their spreadsheet and upload again. Written through [`TableWriter`], so
//! no refused cell comes back as a formula (`=…` is written `'=…`; tested in `tabular::tests`).

use super::write::{ExportFormat, TableWriter};
use super::{shown_cell, truncate_chars, Row};
use crate::error::{Error, FieldError, Result};

/// The errors of an import, kept up to a limit (a file of a million bad rows must not become a
/// million-entry response), with the true totals counted past it.
#[derive(Debug, Default)]
pub struct Problems {
    kept: Vec<FieldError>,
    limit: usize,
    errors: u64,
    rows: u64,
    last_row: Option<u64>,
}

/// The most characters of one error's reason an import keeps.
pub const MAX_REASON_CHARS: usize = 1_000;

/// How many errors an import reports in detail.
pub const DEFAULT_PROBLEM_LIMIT: usize = 1_000;

impl Problems {
    pub fn new() -> Problems {
        Problems::with_limit(DEFAULT_PROBLEM_LIMIT)
    }

    pub fn with_limit(limit: usize) -> Problems {
        Problems {
            limit,
            ..Problems::default()
        }
    }

    /// Records an error. Kept errors are cut short (the column name and the value to
    /// [`SHOWN_CHARS`] characters, the reason to [`MAX_REASON_CHARS`]), so an import of
    /// 32,767-character cells does not store megabytes of errors on its job.
    pub fn push(&mut self, mut error: FieldError) {
        self.errors += 1;
        error.field = shown_cell(&error.field);
        error.value = error.value.as_deref().map(shown_cell);
        error.reason = truncate_chars(&error.reason, MAX_REASON_CHARS);
        if error.row.is_some() && error.row != self.last_row {
            self.rows += 1;
            self.last_row = error.row;
        }
        if self.kept.len() < self.limit {
            self.kept.push(error);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors == 0
    }

    /// How many distinct rows had errors (errors of one row are pushed together).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn total(&self) -> u64 {
        self.errors
    }

    pub fn kept(&self) -> &[FieldError] {
        &self.kept
    }

    /// One validation error carrying every kept problem, its message saying how many there are.
    pub fn into_error(self) -> Error {
        let (rows, total, kept) = (self.rows, self.errors, self.kept.len() as u64);
        let Error::Validation { message, fields } = Error::invalid_fields(self.kept) else {
            return Error::internal("building an import's error");
        };
        let message = if total > kept {
            format!("{rows} rows have errors ({total} errors; the first {kept} are listed). First: {message}")
        } else if rows > 1 {
            format!("{rows} rows have errors. First: {message}")
        } else {
            message
        };
        Error::Validation { message, fields }
    }
}

/// A CSV of the rows an import refused: the original cells, then a `Reason` column.
pub struct RejectedRows {
    writer: TableWriter,
    width: usize,
    count: u64,
}

impl RejectedRows {
    /// `headers`: the upload's column names; `delimiter`: the upload's, so it opens like the original.
    pub fn new(headers: &[String], delimiter: u8) -> Result<RejectedRows> {
        let mut columns: Vec<&str> = headers.iter().map(String::as_str).collect();
        columns.push("Row");
        columns.push("Reason");
        Ok(RejectedRows {
            writer: TableWriter::new(ExportFormat::Csv, &columns, delimiter)?,
            width: headers.len(),
            count: 0,
        })
    }

    /// Writes `row` with every reason it was refused for, joined by "; ".
    pub fn reject(&mut self, row: &Row, reasons: &[FieldError]) -> Result<()> {
        let reason = reasons
            .iter()
            .map(|e| format!("{}: {}", e.field, e.reason))
            .collect::<Vec<_>>()
            .join("; ");
        let mut cells: Vec<String> = row.cells.clone();
        cells.resize(self.width.max(cells.len()), String::new());
        cells.push(row.number.to_string());
        cells.push(reason);
        self.count += 1;
        self.writer.write_row(&cells)
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn finish(self) -> Result<Vec<u8>> {
        self.writer.finish()
    }
}
