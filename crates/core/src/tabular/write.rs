//! Writing tables back out: CSV (UTF-8 with a BOM, so that Excel shows "Æ Ø Å" right) and XLSX.
//! Rows stream to a temporary file, so a million-row export does not sit in memory twice.
//!
//! **No cell is written as a formula.** A code, a name or a rejected row that begins with `=`,
//! `+`, `-`, `@`, a tab, a carriage return or a line feed would be run as a formula by the
//! spreadsheet program that opens the file (`=HYPERLINK(…)`, `@SUM(…)`, DDE): every such cell is
//! written with a leading `'` (OWASP's "CSV injection" advice), which spreadsheet programs show
//! as text. The check is on the exact text written — nothing is trimmed after it — so `\t=…`
//! gets its `'` too. The price: a negative number exported as text reads `'-5`; an importer that
//! reads our own files back undoes it with [`restore_neutralized`].
//!
//! A finished table is either bytes ([`TableWriter::finish`], small files) or the temporary file
//! itself ([`TableWriter::finish_to_file`]), which a job streams to the file store without
//! ever holding the whole file: memory stays flat however many rows were written.

use std::io::Write;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};

/// The formats an export can be downloaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

/// The CSV separator a reader of `language` (`en`, `da`, `fr`) opens without asking: a Danish
/// or French spreadsheet program reads `;` (the comma is their decimal mark), an English one `,`.
pub fn csv_separator(language: &str) -> u8 {
    match language {
        "da" | "fr" => b';',
        _ => b',',
    }
}

/// A cell as written: `'` before text a spreadsheet program would take as a formula.
pub fn neutralize_formula(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// A cell as it was before [`neutralize_formula`]: a `'` followed by a character that starts a
/// formula is taken off. Spreadsheet programs drop such a `'` themselves when they save a file,
/// so a `'` there is almost always ours; reading it back keeps "+45 12 34 56 78" a phone number
/// across an export and an import. What comes back is neutralized again on the next export.
pub fn restore_neutralized(text: &str) -> &str {
    match text.as_bytes() {
        [b'\'', b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n', ..] => &text[1..],
        _ => text,
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
            Sink::Csv(writer) => {
                // Field by field: a cell is copied only when it needs its `'`.
                for cell in cells {
                    writer
                        .write_field(neutralize_formula(cell.as_ref()).as_bytes())
                        .map_err(internal)?;
                }
                writer.write_record(None::<&[u8]>).map_err(internal)?;
            }
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

    /// Rows written so far, the header included.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// The finished file's bytes (for small tables; large ones use [`Self::finish_to_file`]).
    pub fn finish(self) -> Result<Vec<u8>> {
        let file = self.finish_to_file()?;
        std::fs::read(file.path()).map_err(internal)
    }

    /// The finished file, as a temporary file deleted when dropped. An XLSX sheet written with
    /// constant memory keeps its rows in its own temporary file; saving zips them straight into
    /// this one, so neither format is ever held in memory whole.
    pub fn finish_to_file(self) -> Result<tempfile::NamedTempFile> {
        match self.sink {
            Sink::Csv(writer) => {
                let buffered = writer.into_inner().map_err(internal)?;
                buffered.into_inner().map_err(internal)
            }
            Sink::Xlsx { mut workbook, .. } => {
                let file = tempfile::NamedTempFile::new().map_err(internal)?;
                let mut buffered = std::io::BufWriter::with_capacity(1 << 20, file.as_file());
                workbook.save_to_writer(&mut buffered).map_err(internal)?;
                buffered.flush().map_err(internal)?;
                drop(buffered);
                Ok(file)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_neutralized_cell_reads_back_as_it_was() {
        for text in [
            "=1+1",
            "+45 12 34 56 78",
            "-4.5",
            "@SUM(A1)",
            "\t=x",
            "Ida",
            "'quoted",
            "",
        ] {
            assert_eq!(restore_neutralized(&neutralize_formula(text)), text);
        }
        // A `'` before ordinary text is the cell's own.
        assert_eq!(restore_neutralized("'tis"), "'tis");
    }

    #[test]
    fn a_table_finishes_into_a_file_with_the_same_bytes() {
        for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
            let mut writer = TableWriter::new(format, &["Name", "City"], b';').expect("writer");
            writer.write_row(&["=Ida", "Århus"]).expect("row");
            assert_eq!(writer.rows(), 2);
            let file = writer.finish_to_file().expect("file");
            let bytes = std::fs::read(file.path()).expect("read");
            match format {
                ExportFormat::Csv => {
                    assert_eq!(bytes, "\u{feff}Name;City\n'=Ida;Århus\n".as_bytes())
                }
                ExportFormat::Xlsx => assert!(bytes.starts_with(b"PK"), "a zip file"),
            }
        }
    }
}
