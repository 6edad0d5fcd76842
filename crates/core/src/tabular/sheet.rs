//! Spreadsheets (XLSX, ODS, and old XLS): the first sheet, cells as the organizer sees them.
//!
//! No file decides how much memory it gets (see [`super::limits`]):
//! - XLSX streams: the archive is unpacked once with caps, then the sheet's cells are read one at a
//!   time in a thread of their own and assembled into rows here. The sheet's declared dimension is
//!   ignored, a filled cell right of [`MAX_COLUMNS`] is refused rather than padded to, and a row
//!   holds at most [`MAX_ROW_BYTES`] of text.
//! - ODS is built by the reader as a dense grid: the archive is unpacked with caps, then its
//!   `content.xml` is scanned for the grid its repeat counts expand to before the reader runs.
//! - XLS (Excel 97–2003) is refused: its reader sizes a dense grid from the file's records and
//!   aborts the process on a grid of 2^32 rows, and nothing short of a second OLE reader could
//!   bound that beforehand. The message asks for XLSX or CSV.
//!
//! Every cell longer than [`MAX_CELL_CHARS`] is refused with its row and column.

use std::io::{Read, Seek};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use calamine::{Data, DataRef, Ods, Range, Reader, Xlsx};

use super::limits::{self, thousands, ArchiveKind, MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROW_BYTES};
use super::{column_letter, Format, Row, RowIter};
use crate::error::{Error, FieldError, Result};
use crate::i18n::Msg;

/// Reads the first sheet's non-empty rows, numbered as the spreadsheet numbers them.
pub fn read_first_sheet<R: Read + Seek + Send + 'static>(
    mut source: R,
    format: Format,
) -> Result<RowIter> {
    match format {
        Format::Xlsx => {
            limits::scan_archive(&mut source, ArchiveKind::Xlsx)?;
            xlsx_rows(source)
        }
        Format::Ods => {
            limits::scan_archive(&mut source, ArchiveKind::Ods)?;
            limits::scan_ods_content(&mut source)?;
            let range = first_range::<_, Ods<_>>(source, "an ODS")?;
            Ok(Box::new(GridRows::new(range)))
        }
        // The XLS reader sizes its grid from the file's own records (a DIMENSIONS record of 2^32
        // rows, or one cell at row 65,535 and column 65,535) and aborts the process when the
        // allocation fails; no check short of re-reading the OLE container the same way can
        // bound it, so old workbooks are refused with the way out.
        Format::Xls => Err(Error::invalid("file", Msg::new("engine-file-xls"))),
        Format::Delimited => Err(Error::internal("a delimited file is not a sheet")),
    }
}

fn first_range<RS, W>(source: RS, kind: &str) -> Result<Range<Data>>
where
    RS: Read + Seek,
    W: Reader<RS>,
    W::Error: std::fmt::Display,
{
    let unreadable = |err: W::Error| {
        Error::invalid(
            "file",
            Msg::new("engine-file-unreadable-because")
                .arg("kind", kind)
                .arg("detail", err),
        )
    };
    // The reader is a library over untrusted bytes: a panic in it is a file it cannot read.
    let read = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut workbook = W::new(source).map_err(unreadable)?;
        match workbook.worksheet_range_at(0) {
            None => Ok(Range::empty()),
            Some(range) => range.map_err(unreadable),
        }
    }));
    read.unwrap_or_else(|_| {
        Err(Error::invalid(
            "file",
            Msg::new("engine-file-unreadable").arg("kind", kind),
        ))
    })
}

/// A cell's text, or the error that refuses it (longer than a spreadsheet cell can be).
fn checked_cell(row: u64, column: usize, text: String) -> std::result::Result<String, FieldError> {
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Err(FieldError::at_row(
            row,
            column_letter(column),
            Msg::new("engine-cell-too-long").arg("max", thousands(MAX_CELL_CHARS as u64)),
        ));
    }
    Ok(text)
}

fn too_far_right(row: u64, column: usize) -> FieldError {
    FieldError::at_row(
        row,
        "file",
        Msg::new("engine-cell-too-far-right")
            .arg("column", column_letter(column))
            .arg("max", thousands(MAX_COLUMNS as u64)),
    )
}

/// The rows of a grid the reader built (ODS, XLS), made one at a time.
struct GridRows {
    range: Range<Data>,
    next: usize,
    failed: bool,
}

impl GridRows {
    fn new(range: Range<Data>) -> Self {
        GridRows {
            range,
            next: 0,
            failed: false,
        }
    }

    fn row(&self, index: usize) -> std::result::Result<Row, FieldError> {
        let (first_row, first_column) = self.range.start().unwrap_or((0, 0));
        let number = u64::from(first_row) + index as u64 + 1;
        let padding = usize::try_from(first_column).unwrap_or(usize::MAX);
        let mut cells = Vec::new();
        for offset in 0..self.range.width() {
            let text = self
                .range
                .get((index, offset))
                .map(cell_text)
                .unwrap_or_default();
            if text.is_empty() {
                continue;
            }
            let column = padding.saturating_add(offset);
            if column >= MAX_COLUMNS {
                return Err(too_far_right(number, column));
            }
            let text = checked_cell(number, column, text)?;
            if cells.len() <= column {
                cells.resize(column + 1, String::new());
            }
            if let Some(cell) = cells.get_mut(column) {
                *cell = text;
            }
        }
        Ok(Row { number, cells })
    }
}

impl Iterator for GridRows {
    type Item = std::result::Result<Row, FieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed && self.next < self.range.height() {
            let index = self.next;
            self.next += 1;
            match self.row(index) {
                Ok(row) if row.cells.iter().all(|c| c.trim().is_empty()) => continue,
                Ok(row) => return Some(Ok(row)),
                Err(err) => {
                    self.failed = true;
                    return Some(Err(err));
                }
            }
        }
        None
    }
}

/// What the XLSX reading thread sends.
enum Message {
    Row(Row),
    Failed(FieldError),
    Done,
}

/// Rows sent by the thread that streams an XLSX sheet.
struct StreamedRows {
    rows: mpsc::Receiver<Message>,
    finished: bool,
}

impl Iterator for StreamedRows {
    type Item = std::result::Result<Row, FieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.rows.recv() {
            Ok(Message::Row(row)) => Some(Ok(row)),
            Ok(Message::Failed(err)) => {
                self.finished = true;
                Some(Err(err))
            }
            Ok(Message::Done) => {
                self.finished = true;
                None
            }
            Err(_) => {
                self.finished = true;
                Some(Err(FieldError::new(
                    "file",
                    Msg::new("engine-sheet-cut-short"),
                )))
            }
        }
    }
}

/// Streams the first sheet of an XLSX (already through [`limits::scan_archive`]).
fn xlsx_rows<R: Read + Seek + Send + 'static>(source: R) -> Result<RowIter> {
    // Few rows wait in the channel: each holds at most MAX_ROW_BYTES of text.
    let (sender, rows) = mpsc::sync_channel::<Message>(4);
    let (opened_sender, opened) = mpsc::sync_channel::<Result<()>>(1);
    std::thread::Builder::new()
        .name("xlsx-reader".into())
        .spawn(move || {
            let read = std::panic::catch_unwind(AssertUnwindSafe(|| {
                stream_xlsx(source, &sender, &opened_sender)
            }));
            if read.is_err() {
                let unreadable = Msg::new("engine-file-unreadable").arg("kind", "XLSX");
                let _ = opened_sender.try_send(Err(Error::invalid("file", unreadable.clone())));
                let _ = sender.send(Message::Failed(FieldError::new("file", unreadable)));
            }
        })
        .map_err(|e| Error::internal(format!("starting the XLSX reader: {e}")))?;
    match opened.recv() {
        Ok(Ok(())) => Ok(Box::new(StreamedRows {
            rows,
            finished: false,
        })),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(Error::invalid(
            "file",
            Msg::new("engine-file-unreadable").arg("kind", "XLSX"),
        )),
    }
}

fn stream_xlsx<R: Read + Seek>(
    source: R,
    rows: &mpsc::SyncSender<Message>,
    opened: &mpsc::SyncSender<Result<()>>,
) {
    let unreadable = |err: calamine::XlsxError| {
        Error::invalid(
            "file",
            Msg::new("engine-file-unreadable-because")
                .arg("kind", "XLSX")
                .arg("detail", err),
        )
    };
    let mut workbook = match Xlsx::new(source) {
        Ok(workbook) => workbook,
        Err(err) => {
            let _ = opened.send(Err(unreadable(err)));
            return;
        }
    };
    let Some(name) = workbook.sheet_names().first().cloned() else {
        let _ = opened.send(Ok(()));
        let _ = rows.send(Message::Done);
        return;
    };
    let mut cells = match workbook.worksheet_cells_reader(&name) {
        Ok(cells) => cells,
        Err(err) => {
            let _ = opened.send(Err(unreadable(err)));
            return;
        }
    };
    let _ = opened.send(Ok(()));
    let mut assembler = RowAssembler::default();
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(err) => {
                let row = assembler.row.map_or(1, |(number, _, _)| number);
                let _ = rows.send(Message::Failed(FieldError::at_row(
                    row,
                    "file",
                    Msg::new("engine-row-unreadable").arg("detail", err),
                )));
                return;
            }
        };
        let (row, column) = cell.get_position();
        let text = dataref_text(cell.get_value());
        let column = usize::try_from(column).unwrap_or(usize::MAX);
        match assembler.add(u64::from(row) + 1, column, text) {
            Ok(Some(done)) => {
                if rows.send(Message::Row(done)).is_err() {
                    return; // the reader was dropped: nobody wants more rows
                }
            }
            Ok(None) => {}
            Err(err) => {
                let _ = rows.send(Message::Failed(err));
                return;
            }
        }
    }
    if let Some(done) = assembler.finish() {
        if rows.send(Message::Row(done)).is_err() {
            return;
        }
    }
    let _ = rows.send(Message::Done);
}

/// Gathers streamed cells into rows: rows in order, blank rows skipped, spreadsheet numbers kept.
#[derive(Default)]
struct RowAssembler {
    /// The row being gathered: its number, its cells, its text bytes.
    row: Option<(u64, Vec<String>, usize)>,
}

impl RowAssembler {
    /// Adds a cell; answers the previous row when this cell starts a new one.
    fn add(
        &mut self,
        number: u64,
        column: usize,
        text: String,
    ) -> std::result::Result<Option<Row>, FieldError> {
        if text.is_empty() {
            return Ok(None);
        }
        let mut finished = None;
        match &self.row {
            Some((current, _, _)) if number < *current => {
                return Err(FieldError::at_row(
                    number,
                    "file",
                    Msg::new("engine-rows-out-of-order")
                        .arg("row", number)
                        .arg("previous", current),
                ));
            }
            Some((current, _, _)) if number == *current => {}
            _ => finished = self.finish(),
        }
        if column >= MAX_COLUMNS {
            return Err(too_far_right(number, column));
        }
        let text = checked_cell(number, column, text)?;
        let (_, cells, bytes) = self.row.get_or_insert_with(|| (number, Vec::new(), 0));
        *bytes = bytes.saturating_add(text.len());
        if *bytes > MAX_ROW_BYTES {
            return Err(FieldError::at_row(
                number,
                "file",
                Msg::new("engine-row-too-big"),
            ));
        }
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        if let Some(cell) = cells.get_mut(column) {
            *cell = text;
        }
        Ok(finished)
    }

    /// The row being gathered, unless it is blank.
    fn finish(&mut self) -> Option<Row> {
        let (number, cells, _) = self.row.take()?;
        if cells.iter().all(|c| c.trim().is_empty()) {
            return None;
        }
        Some(Row { number, cells })
    }
}

fn dataref_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::SharedString(text) => (*text).to_string(),
        other => cell_text(&Data::from(other.clone())),
    }
}

/// A cell as text: whole numbers without ".0", dates as ISO 8601.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Int(value) => value.to_string(),
        Data::Float(value) => float_text(*value),
        Data::Bool(value) => value.to_string(),
        Data::Error(err) => format!("#{err}"),
        Data::DateTime(moment) => match moment.as_datetime() {
            Some(at) if !moment.is_duration() => {
                if at.time() == chrono::NaiveTime::MIN {
                    at.date().format("%Y-%m-%d").to_string()
                } else {
                    at.format("%Y-%m-%d %H:%M:%S").to_string()
                }
            }
            _ => float_text(moment.as_f64()),
        },
    }
}

fn float_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}
