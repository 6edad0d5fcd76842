//! The tabular import engine: reading the spreadsheets organizers upload — CSV with any common
//! separator and encoding, XLSX and ODS (old XLS is recognized and refused) — row by row, deciding the header and the column
//! mapping (automatically from names in English, Danish and French, or as the user says), a
//! preview of the first rows exactly as they will be read, the errors of every bad row, and a
//! rejected-rows file; and writing tables back out as CSV or XLSX.
//!
//! The seeds' own troubleshooting list ("use the correct separator", "no non-English characters")
//! must simply never happen, so the reader decides the encoding (BOM, then the whole file's
//! bytes) and the separator (Excel's `sep=;` first line when there is one, else the one that
//! splits the first lines most consistently) itself. Title rows above the header ("Subscribers
//! 2026") are skipped (see [`title_rows`]); every row keeps its number in the file, so an error on
//! row 7 is on row 7 when the organizer opens the file. Quantities are read by one rule,
//! [`whole_number`] (`2,0` is 2).
//!
//! Delimited files stream: memory stays flat however many rows a file has. XLSX sheets stream cell
//! by cell; ODS sheets are built whole after a scan bounds them (see `limits` for what no file can
//! make the reader do).

#[doc(hidden)]
pub mod bombs;
mod decode;
mod delimited;
mod kind;
pub mod limits;
mod mapping;
mod numbers;
mod rejects;
mod sheet;
mod write;

use std::collections::VecDeque;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use serde::Serialize;
use utoipa::ToSchema;

pub use decode::{decode_text, detect_encoding};
pub use delimited::{excel_separator_line, sniff_delimiter, DELIMITERS};
pub use kind::{NotASpreadsheet, SNIFF_BYTES};
pub use mapping::{
    column_letter, looks_like_header, normalize_header, title_rows, ColumnMap, FieldSpec,
    HeaderRows, IGNORE_COLUMN, MAX_TITLE_ROWS,
};
pub use numbers::whole_number;
pub use rejects::{Problems, RejectedRows};
pub use write::{
    csv_separator, neutralize_formula, restore_neutralized, ExportFormat, TableWriter,
    XLSX_MAX_ROWS,
};

use crate::error::{Error, FieldError, Result};
use crate::i18n::Msg;

/// One row with its 1-based line (or sheet row) number in the file, as a spreadsheet shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub number: u64,
    pub cells: Vec<String>,
}

impl Row {
    /// The trimmed cell at `column`, or `""` when the row is shorter.
    pub fn cell(&self, column: usize) -> &str {
        self.cells.get(column).map(|c| c.trim()).unwrap_or("")
    }
}

/// What kind of file an upload is, told by its first bytes (never by its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CSV, or text separated by semicolons, tabs or pipes.
    Delimited,
    Xlsx,
    Ods,
    Xls,
}

impl Format {
    fn sniff(head: &[u8]) -> Format {
        const ZIP: &[u8] = b"PK\x03\x04";
        const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
        const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";
        if head.starts_with(ZIP) {
            let declares_ods = head.windows(ODS_MIMETYPE.len()).any(|w| w == ODS_MIMETYPE);
            if declares_ods {
                Format::Ods
            } else {
                Format::Xlsx
            }
        } else if head.starts_with(OLE) {
            Format::Xls
        } else {
            Format::Delimited
        }
    }
}

type RowIter = Box<dyn Iterator<Item = std::result::Result<Row, FieldError>> + Send>;

/// Reads an uploaded table row by row. Empty rows are skipped; every row keeps its number.
pub struct TableReader {
    pub format: Format,
    /// The detected text encoding (delimited files only).
    pub encoding: Option<&'static str>,
    /// The detected separator (delimited files only).
    pub delimiter: Option<u8>,
    ahead: VecDeque<std::result::Result<Row, FieldError>>,
    rows: RowIter,
}

/// How much decoded text the separator is guessed from.
const DELIMITER_SAMPLE_BYTES: u64 = 64 * 1024;

impl TableReader {
    /// Opens a stored upload.
    pub fn open(path: &Path) -> Result<TableReader> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::internal(format!("opening {}: {e}", path.display())))?;
        Self::from_source(std::io::BufReader::with_capacity(256 * 1024, file))
    }

    /// Reads a table held in memory (small uploads, tests).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<TableReader> {
        Self::from_source(Cursor::new(bytes))
    }

    fn from_source<R: Read + Seek + Send + 'static>(mut source: R) -> Result<TableReader> {
        let io = |e: std::io::Error| Error::internal(format!("reading an upload: {e}"));
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        source
            .by_ref()
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        source.seek(SeekFrom::Start(0)).map_err(io)?;
        // A photo or a PDF is said to be one, never decoded as Windows-1252 text.
        if let Some(kind) = NotASpreadsheet::sniff(&head) {
            return Err(kind.error());
        }
        let format = Format::sniff(&head);
        if format != Format::Delimited {
            let rows = sheet::read_first_sheet(source, format)?;
            return Ok(TableReader {
                format,
                encoding: None,
                delimiter: None,
                ahead: VecDeque::new(),
                rows,
            });
        }
        let encoding = detect_encoding(&mut source).map_err(io)?;
        let mut sample = Vec::new();
        source
            .by_ref()
            .take(DELIMITER_SAMPLE_BYTES)
            .read_to_end(&mut sample)
            .map_err(io)?;
        let (sample_text, _, _) = encoding.decode(&sample);
        let separator_line = excel_separator_line(&sample_text);
        let delimiter = separator_line.unwrap_or_else(|| sniff_delimiter(&sample_text));
        source.seek(SeekFrom::Start(0)).map_err(io)?;
        let text = decode::utf8_reader(source, encoding).map_err(io)?;
        let mut rows = delimited::DelimitedRows::new(text, delimiter);
        if separator_line.is_some() {
            // The `sep=` line is the file's first record; the rows after it keep their lines.
            let _ = rows.next();
        }
        Ok(TableReader {
            format,
            encoding: Some(encoding.name()),
            delimiter: Some(delimiter),
            ahead: VecDeque::new(),
            rows: Box::new(rows),
        })
    }

    /// The next `n` rows without consuming them (fewer at the end of the file or before an
    /// unreadable row).
    pub fn peek(&mut self, n: usize) -> Vec<Row> {
        while self.ahead.len() < n {
            match self.rows.next() {
                Some(row) => self.ahead.push_back(row),
                None => break,
            }
        }
        self.ahead
            .iter()
            .take(n)
            .map_while(|r| r.as_ref().ok().cloned())
            .collect()
    }

    /// Decides the header rows and their names, consuming the header rows.
    ///
    /// Detected (`Auto`), the header rows are the title rows above a header ([`title_rows`]) and
    /// the header, when that row looks like one ([`looks_like_header`]); without a header below
    /// them, single-cell first rows are data like any other (a code with its quantity missing
    /// must be reported, not skipped).
    pub fn layout(&mut self, header: HeaderRows, fields: &[FieldSpec]) -> Layout {
        let header_rows = match header {
            HeaderRows::Count(n) => usize::try_from(n).unwrap_or(usize::MAX),
            HeaderRows::Auto => {
                let leading = self.peek(MAX_TITLE_ROWS + 11);
                let titles = title_rows(&leading);
                let below_titles = leading.get(titles..).unwrap_or_default();
                if titles > 0 && looks_like_header(below_titles, fields) {
                    titles + 1
                } else {
                    let first = leading.get(..leading.len().min(11)).unwrap_or_default();
                    usize::from(looks_like_header(first, fields))
                }
            }
        };
        let leading = self.peek(header_rows.saturating_add(20));
        // Titles above the header do not count: a long title in a CSV is no column.
        let column_count = leading
            .iter()
            .skip(header_rows.saturating_sub(1))
            .map(|r| r.cells.len())
            .max()
            .unwrap_or(0);
        let named_by = header_rows
            .checked_sub(1)
            .and_then(|last| leading.get(last));
        let headers = (0..column_count)
            .map(|c| {
                named_by
                    .map(|row| row.cell(c).to_string())
                    .filter(|name| !name.is_empty())
                    .unwrap_or_else(|| format!("Column {}", column_letter(c)))
            })
            .collect();
        for _ in 0..header_rows {
            if self.next().is_none() {
                break;
            }
        }
        Layout {
            header_rows,
            headers,
        }
    }
}

impl Iterator for TableReader {
    type Item = std::result::Result<Row, FieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.ahead.pop_front().or_else(|| self.rows.next())
    }
}

/// The header rows of a table and the names of its columns (from the header, or `Column A`…).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Layout {
    pub header_rows: usize,
    pub headers: Vec<String>,
}

impl Layout {
    /// The mapping the engine proposes: by header names, or by position without a header.
    pub fn automatic_map(&self, fields: &[FieldSpec]) -> ColumnMap {
        if self.header_rows == 0 {
            ColumnMap::positional(self.headers.len(), fields)
        } else {
            ColumnMap::automatic(&self.headers, fields)
        }
    }

    /// How a column is named in messages: its header, or its letter.
    pub fn column_name(&self, column: usize) -> String {
        self.headers
            .get(column)
            .cloned()
            .unwrap_or_else(|| format!("Column {}", column_letter(column)))
    }
}

/// The first rows of an upload exactly as the import will read them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Preview {
    pub format: Format,
    /// The detected text encoding, e.g. `windows-1252` (delimited files only).
    pub encoding: Option<String>,
    /// The detected separator (delimited files only).
    pub delimiter: Option<String>,
    pub header_rows: usize,
    /// One name per column: its header, or `Column A`, `Column B`… without a header.
    pub headers: Vec<String>,
    /// The field each column feeds (`null`: ignored).
    pub columns: Vec<Option<String>>,
    /// The fields the import knows, for the column drop-downs.
    pub fields: Vec<PreviewField>,
    pub rows: Vec<PreviewRow>,
    /// What the whole file holds, column by column (empty until the rest of the file is counted,
    /// see [`Preview::count_rest`]): for a summary of what the import will do ("6 codes, 13 uses")
    /// under any mapping.
    pub totals: FileTotals,
}

/// The whole file's data rows, and per column how many rows fill it and what its whole numbers
/// add up to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct FileTotals {
    /// Data rows (below the header rows), the previewed ones included.
    pub rows: u64,
    pub columns: Vec<ColumnTotal>,
    /// False when a row could not be read: the counts stop before it.
    pub complete: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ColumnTotal {
    /// Rows with a value in this column.
    pub filled: u64,
    /// The sum of its values when every filled one is a whole number ([`whole_number`]).
    pub sum: Option<i64>,
}

impl FileTotals {
    fn add(&mut self, row: &Row) {
        self.rows += 1;
        if self.columns.len() < row.cells.len() {
            self.columns.resize(
                row.cells.len(),
                ColumnTotal {
                    filled: 0,
                    sum: Some(0),
                },
            );
        }
        for (column, total) in self.columns.iter_mut().enumerate() {
            let cell = row.cell(column);
            if cell.is_empty() {
                continue;
            }
            total.filled += 1;
            total.sum = match (total.sum, whole_number(cell)) {
                (Some(sum), Ok(n)) => sum.checked_add(n),
                _ => None,
            };
        }
    }

    /// The totals of `column` (none for a column no row fills).
    pub fn column(&self, column: usize) -> ColumnTotal {
        self.columns.get(column).cloned().unwrap_or(ColumnTotal {
            filled: 0,
            sum: Some(0),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PreviewField {
    pub name: String,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PreviewRow {
    pub number: u64,
    /// The cells as read, one per column.
    pub cells: Vec<String>,
    /// The value each mapped field gets, in the order of `fields`.
    pub values: Vec<Option<String>>,
}

/// How many rows a preview shows.
pub const PREVIEW_ROWS: usize = 20;

/// The most characters of one cell a preview or an error message shows.
pub const SHOWN_CHARS: usize = 200;

/// `text` cut to at most `max` characters, with "…" when something was cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or_default()),
    }
}

/// A cell as a preview or a message shows it: at most [`SHOWN_CHARS`] characters.
pub fn shown_cell(text: &str) -> String {
    truncate_chars(text, SHOWN_CHARS)
}

impl Preview {
    /// The first [`PREVIEW_ROWS`] data rows of `reader` (positioned after its header rows).
    pub fn build(
        reader: &mut TableReader,
        layout: &Layout,
        map: &ColumnMap,
        fields: &[FieldSpec],
    ) -> Result<Preview> {
        let mut rows = Vec::new();
        let mut totals = FileTotals::default();
        for row in reader.by_ref().take(PREVIEW_ROWS) {
            let row = row.map_err(|e| Error::invalid_fields(vec![e]))?;
            totals.add(&row);
            // A preview never echoes a huge cell: each is cut to SHOWN_CHARS characters.
            let values = fields
                .iter()
                .map(|f| map.get(&row, f.name).map(shown_cell))
                .collect();
            rows.push(PreviewRow {
                number: row.number,
                cells: row.cells.iter().map(|c| shown_cell(c)).collect(),
                values,
            });
        }
        Ok(Preview {
            format: reader.format,
            encoding: reader.encoding.map(str::to_string),
            delimiter: reader.delimiter.map(|d| char::from(d).to_string()),
            header_rows: layout.header_rows,
            headers: layout.headers.iter().map(|h| shown_cell(h)).collect(),
            columns: map
                .choices(layout.headers.len())
                .into_iter()
                .map(|f| f.map(str::to_string))
                .collect(),
            fields: fields
                .iter()
                .map(|f| PreviewField {
                    name: f.name.to_string(),
                    required: f.required,
                })
                .collect(),
            rows,
            totals,
        })
    }

    /// Reads the rest of the file (after [`Preview::build`]) into [`Preview::totals`]: one more
    /// pass that holds nothing but counts.
    pub fn count_rest(&mut self, reader: &mut TableReader) {
        let mut complete = true;
        for row in reader.by_ref() {
            match row {
                Ok(row) => self.totals.add(&row),
                Err(_) => {
                    complete = false;
                    break;
                }
            }
        }
        self.totals.complete = complete;
    }
}

/// A parsed file held whole: the header row (when the file has one) and the data rows. For the
/// small imports that read everything at once (venue seat maps, customers, orders).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    /// The header's row in the file (below any title rows); `None` without a header.
    pub header_row: Option<u64>,
    pub rows: Vec<Row>,
    pub encoding: &'static str,
    pub delimiter: char,
}

/// The largest number of rows [`read_csv`] holds.
pub const MAX_ROWS: usize = 2_000_000;

/// Reads a whole delimited upload. When `has_header` is true, the first non-empty row is the
/// header, after any title rows above it ([`title_rows`]). Broken quoting and rows longer than
/// the header are errors that name the row; every row keeps its line number in the file.
pub fn read_csv(bytes: &[u8], has_header: bool) -> Result<Table> {
    let mut reader = TableReader::from_bytes(bytes.to_vec())?;
    if reader.format != Format::Delimited {
        return Err(Error::invalid(
            "file",
            Msg::new("engine-file-is-spreadsheet"),
        ));
    }
    if has_header {
        for _ in 0..title_rows(&reader.peek(MAX_TITLE_ROWS + 11)) {
            let _ = reader.next();
        }
    }
    let mut headers = Vec::new();
    let mut header_row = None;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for row in reader.by_ref() {
        let row = match row {
            Ok(row) => row,
            Err(err) => {
                errors.push(err);
                break;
            }
        };
        if has_header && header_row.is_none() {
            headers = row.cells.iter().map(|c| c.trim().to_string()).collect();
            header_row = Some(row.number);
            continue;
        }
        let extra = row.cells.iter().skip(headers.len());
        if has_header && extra.clone().any(|c| !c.trim().is_empty()) {
            errors.push(FieldError::at_row(
                row.number,
                "file",
                Msg::new("engine-row-wider-than-header")
                    .num("fields", row.cells.len())
                    .num("header", headers.len()),
            ));
            continue;
        }
        if rows.len() >= MAX_ROWS {
            errors.push(FieldError::at_row(
                row.number,
                "file",
                Msg::new("engine-too-many-rows").num("max", MAX_ROWS),
            ));
            break;
        }
        rows.push(row);
    }
    if !errors.is_empty() {
        return Err(Error::invalid_fields(errors));
    }
    Ok(Table {
        headers,
        header_row,
        rows,
        encoding: reader.encoding.unwrap_or("UTF-8"),
        delimiter: char::from(reader.delimiter.unwrap_or(b',')),
    })
}

#[cfg(test)]
mod limit_tests;
#[cfg(test)]
mod tests;
