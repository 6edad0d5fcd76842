//! Writing tables back out: CSV (UTF-8 with a BOM, so that Excel shows "Æ Ø Å" right) and XLSX.
//! Rows stream to a temporary file, so a million-row export does not sit in memory twice.
//!
//! **No cell is written as a formula.** A code, a name or a rejected row that begins with `=`,
//! `+`, `-`, `@`, a tab, a carriage return or a line feed would be run as a formula by the
//! spreadsheet program that opens the file (`=HYPERLINK(…)`, `@SUM(…)`, DDE): every such cell is
//! written with a leading `'` (OWASP's "CSV injection" advice), which spreadsheet programs show
//! as text. The check is on the exact text written — nothing is trimmed after it — so `\t=…`
//! gets its `'` too. The price: a negative number exported as text reads `'-5`.

use std::io::Write;

use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{Error, Result};

/// The formats an export can be downloaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// A cell as written: `'` before text a spreadsheet program would take as a formula.
pub fn neutralize_formula(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The most rows an XLSX sheet holds (Excel's limit, the header included).
pub const XLSX_MAX_ROWS: u32 = 1_048_576;

/// A table being written, one row at a time.
pub struct TableWriter {
    sink: Sink,
    rows: u32,
}

enum Sink {
    Csv(Box<csv::Writer<std::io::BufWriter<tempfile::NamedTempFile>>>),
    Xlsx {
        workbook: Box<rust_xlsxwriter::Workbook>,
        columns: u16,
    },
}

fn internal(err: impl std::fmt::Display) -> Error {
    Error::internal(format!("writing a table: {err}"))
}

impl TableWriter {
    /// Starts a table with its header row. `delimiter` is used by CSV only.
    pub fn new(format: ExportFormat, headers: &[&str], delimiter: u8) -> Result<TableWriter> {
        let sink = match format {
            ExportFormat::Csv => {
                let mut file =
                    std::io::BufWriter::new(tempfile::NamedTempFile::new().map_err(internal)?);
                file.write_all("\u{feff}".as_bytes()).map_err(internal)?;
                let writer = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .from_writer(file);
                Sink::Csv(Box::new(writer))
            }
            ExportFormat::Xlsx => {
                let mut workbook = Box::new(rust_xlsxwriter::Workbook::new());
                workbook
                    .add_worksheet_with_constant_memory()
                    .map_err(internal)?;
                Sink::Xlsx {
                    workbook,
                    columns: u16::try_from(headers.len()).unwrap_or(u16::MAX),
                }
            }
        };
        let mut writer = TableWriter { sink, rows: 0 };
        writer.write_row(headers)?;
        Ok(writer)
    }

    /// Appends one row; a cell that would read as a formula gets a leading `'`.
    pub fn write_row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<()> {
        match &mut self.sink {
            Sink::Csv(writer) => writer
                .write_record(cells.iter().map(|c| neutralize_formula(c.as_ref())).map(
                    |c| match c {
                        std::borrow::Cow::Borrowed(text) => text.as_bytes().to_vec(),
                        std::borrow::Cow::Owned(text) => text.into_bytes(),
                    },
                ))
                .map_err(internal)?,
            Sink::Xlsx { workbook, columns } => {
                if self.rows >= XLSX_MAX_ROWS {
                    return Err(Error::invalid(
                        "format",
                        format!("an XLSX sheet holds at most {XLSX_MAX_ROWS} rows; export as CSV"),
                    ));
                }
                let sheet = workbook.worksheet_from_index(0).map_err(internal)?;
                for (column, cell) in cells.iter().enumerate().take(usize::from(*columns).max(1)) {
                    let column = u16::try_from(column).map_err(internal)?;
                    let text = neutralize_formula(cell.as_ref());
                    if !text.is_empty() {
                        sheet
                            .write_string(self.rows, column, text.as_ref())
                            .map_err(internal)?;
                    }
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The finished file's bytes.
    pub fn finish(self) -> Result<Vec<u8>> {
        match self.sink {
            Sink::Csv(writer) => {
                let buffered = writer.into_inner().map_err(internal)?;
                let file = buffered.into_inner().map_err(internal)?;
                std::fs::read(file.path()).map_err(internal)
            }
            Sink::Xlsx { mut workbook, .. } => workbook.save_to_buffer().map_err(internal),
        }
    }
}
