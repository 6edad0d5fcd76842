//! The limits a file cannot talk its way past, checked before a spreadsheet library touches it.
//!
//! XLSX and ODS are zip archives of XML. A 1.6 KB archive can declare a sheet of 16,384 × 1,048,576
//! cells, unpack to gigabytes, or hold one cell of a gigabyte; the reading library would allocate
//! whatever the file asks for. So every archive is first unpacked here as a stream, counting the
//! bytes it really unpacks to (declared sizes are never trusted), refusing a part or a whole that
//! unpacks to more than a cap, and refusing a run of text or an XML tag longer than any real cell
//! needs (the XML parser buffers one such run whole). An ODS sheet is then scanned once more to
//! bound the cells its repeat counts expand to, because the reader builds it as a dense grid.

use std::io::{Read, Seek, SeekFrom};

use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Result};

/// The most characters a cell holds: Excel's own limit.
pub const MAX_CELL_CHARS: usize = 32_767;
/// The most columns an import reads; a cell with a value further right is refused.
pub const MAX_COLUMNS: usize = 1_000;
/// The most bytes of one delimited line (record), and of the text of one spreadsheet row.
pub const MAX_ROW_BYTES: usize = 1 << 20;
/// The most files in a spreadsheet archive.
pub const MAX_ARCHIVE_ENTRIES: usize = 10_000;
/// The most one sheet's XML unpacks to (it is streamed, so it may be large).
pub const MAX_SHEET_BYTES: u64 = 512 << 20;
/// The most any other part unpacks to (shared strings, styles, the workbook: read whole).
pub const MAX_PART_BYTES: u64 = 64 << 20;
/// The most a whole archive unpacks to.
pub const MAX_ARCHIVE_BYTES: u64 = 768 << 20;
/// The longest run of text between two XML tags, or one tag with its attributes: a cell of
/// 32,767 characters is at most 4 bytes a character, escaped.
pub const MAX_XML_RUN_BYTES: u64 = 256 << 10;
/// The most cells an ODS workbook's sheets span, counted from row 1 and column A to the last
/// filled cell with repeats expanded (the reader builds them as a grid in memory).
pub const MAX_ODS_CELLS: u64 = 2_000_000;
/// The most text an ODS workbook's cells expand to, repeats included.
pub const MAX_ODS_TEXT_BYTES: u64 = 128 << 20;

/// Which kind of archive is being scanned: it decides which parts are sheets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArchiveKind {
    Xlsx,
    Ods,
}

fn megabytes(bytes: u64) -> u64 {
    bytes >> 20
}

fn refuse(reason: impl Into<crate::error::Reason>) -> Error {
    Error::invalid("file", reason)
}

/// "is not a readable XLSX spreadsheet: …", in the reader's language where it is shown.
fn unreadable_because(kind: &str, detail: impl std::fmt::Display) -> crate::i18n::Msg {
    crate::i18n::Msg::new("engine-file-unreadable-because")
        .arg("kind", kind)
        .arg("detail", detail)
}

/// Unpacks every part of a zip archive as a stream and refuses it past the caps; rewinds.
pub fn scan_archive<R: Read + Seek>(source: &mut R, kind: ArchiveKind) -> Result<()> {
    let io = |e: std::io::Error| Error::internal(format!("reading an upload: {e}"));
    source.seek(SeekFrom::Start(0)).map_err(io)?;
    let label = match kind {
        ArchiveKind::Xlsx => "XLSX",
        ArchiveKind::Ods => "ODS",
    };
    let unreadable = |e: zip::result::ZipError| refuse(unreadable_because(label, e));
    let mut archive = zip::ZipArchive::new(&mut *source).map_err(unreadable)?;
    if archive.len() > MAX_ARCHIVE_ENTRIES {
        return Err(refuse(format!(
            "is an archive of {} files; a spreadsheet has at most {MAX_ARCHIVE_ENTRIES}",
            archive.len()
        )));
    }
    let mut total = 0u64;
    let mut buffer = vec![0u8; 64 * 1024];
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(unreadable)?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let is_sheet = match kind {
            ArchiveKind::Xlsx => lower.starts_with("xl/worksheets/"),
            ArchiveKind::Ods => lower == "content.xml",
        };
        let is_xml = lower.ends_with(".xml") || lower.ends_with(".rels");
        let cap = if is_sheet {
            MAX_SHEET_BYTES
        } else {
            MAX_PART_BYTES
        };
        let mut runs = RunScanner::default();
        let mut size = 0u64;
        loop {
            let read = entry
                .read(&mut buffer)
                .map_err(|e| refuse(unreadable_because(label, e)))?;
            if read == 0 {
                break;
            }
            size += read as u64;
            total += read as u64;
            if size > cap {
                return Err(if is_sheet {
                    refuse(format!(
                        "the sheet unpacks to more than {} MB; this import reads sheets up to \
                         {} MB (save it as CSV, or split it)",
                        megabytes(cap),
                        megabytes(cap)
                    ))
                } else {
                    refuse(format!(
                        "the part `{}` of the spreadsheet unpacks to more than {} MB",
                        shown(&name),
                        megabytes(cap)
                    ))
                });
            }
            if total > MAX_ARCHIVE_BYTES {
                return Err(refuse(format!(
                    "the spreadsheet unpacks to more than {} MB; this import reads up to {} MB",
                    megabytes(MAX_ARCHIVE_BYTES),
                    megabytes(MAX_ARCHIVE_BYTES)
                )));
            }
            if is_xml {
                if let Some(run) = runs.feed(buffer.get(..read).unwrap_or_default()) {
                    return Err(refuse(match run {
                        Run::Text => format!(
                            "holds a cell longer than {} characters (in `{}`); a cell holds at most \
                             {} characters",
                            thousands(MAX_CELL_CHARS as u64),
                            shown(&name),
                            thousands(MAX_CELL_CHARS as u64)
                        ),
                        Run::Markup => format!(
                            "holds an XML tag longer than {} KB (in `{}`); the file is damaged",
                            MAX_XML_RUN_BYTES >> 10,
                            shown(&name)
                        ),
                    }));
                }
            }
        }
    }
    drop(archive);
    source.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(())
}

/// A part's name as shown in a message: at most 100 characters.
fn shown(name: &str) -> String {
    super::truncate_chars(name, 100)
}

/// `32767` → `32,767`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What kind of run grew too long.
#[derive(Debug, PartialEq, Eq)]
enum Run {
    Text,
    Markup,
}

/// Where the scanner is in the XML. It ends a run only where the XML parser ends an event, and
/// keeps quoted attribute values, comments, CDATA and processing instructions whole, so it never
/// sees a run shorter than the parser will buffer.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    #[default]
    Text,
    /// Just after `<`.
    Open,
    /// After `<!`: 0, 1 or 2 bytes of `--` or `[` seen.
    Bang(u8),
    Element,
    Quoted(u8),
    Comment,
    CData,
    Instruction,
    /// `<!DOCTYPE …>` and other declarations: `>` at bracket depth 0 ends it.
    Declaration(u32),
}

#[derive(Default)]
struct RunScanner {
    state: State,
    run: u64,
    /// The last three bytes, for `-->`, `]]>` and `?>`.
    tail: [u8; 3],
}

impl RunScanner {
    /// Feeds bytes; `Some` when a run grew past [`MAX_XML_RUN_BYTES`].
    fn feed(&mut self, bytes: &[u8]) -> Option<Run> {
        for &byte in bytes {
            self.tail = [self.tail[1], self.tail[2], byte];
            self.run += 1;
            let before = self.state;
            let ended = match self.state {
                State::Text => {
                    if byte == b'<' {
                        self.state = State::Open;
                        self.run = 1;
                    }
                    false
                }
                State::Open => {
                    self.state = match byte {
                        b'!' => State::Bang(0),
                        b'?' => State::Instruction,
                        b'>' => State::Text,
                        b'"' | b'\'' => State::Quoted(byte),
                        _ => State::Element,
                    };
                    byte == b'>'
                }
                State::Bang(seen) => {
                    self.state = match (seen, byte) {
                        (0, b'-') => State::Bang(1),
                        (1, b'-') => State::Comment,
                        (0, b'[') => State::CData,
                        (_, b'>') => State::Text,
                        _ => State::Declaration(u32::from(byte == b'[')),
                    };
                    byte == b'>'
                }
                State::Element => match byte {
                    b'"' | b'\'' => {
                        self.state = State::Quoted(byte);
                        false
                    }
                    b'>' => true,
                    _ => false,
                },
                State::Quoted(quote) => {
                    if byte == quote {
                        self.state = State::Element;
                    }
                    false
                }
                State::Comment => self.tail == *b"-->",
                State::CData => self.tail == *b"]]>",
                State::Instruction => self.tail[1..] == *b"?>",
                State::Declaration(depth) => match byte {
                    b'[' => {
                        self.state = State::Declaration(depth.saturating_add(1));
                        false
                    }
                    b']' => {
                        self.state = State::Declaration(depth.saturating_sub(1));
                        false
                    }
                    b'>' => depth == 0,
                    _ => false,
                },
            };
            if matches!(
                self.state,
                State::Comment | State::CData | State::Instruction
            ) && !matches!(before, State::Comment | State::CData | State::Instruction)
            {
                // `<!-->` does not close the comment it opens: its end is looked for after.
                self.tail = [0; 3];
            }
            if ended {
                self.state = State::Text;
                self.run = 0;
                self.tail = [0; 3];
            } else if self.run > MAX_XML_RUN_BYTES {
                return Some(if self.state == State::Text {
                    Run::Text
                } else {
                    Run::Markup
                });
            }
        }
        None
    }
}

/// The most rows and columns an ODS table has (the reader's own caps).
const ODS_MAX_ROWS: u64 = 1_048_576;
const ODS_MAX_COLUMNS: u64 = 16_384;

/// Scans an ODS archive's `content.xml` (already through [`scan_archive`]) for the grid its
/// sheets expand to, and refuses it past [`MAX_ODS_CELLS`] or [`MAX_ODS_TEXT_BYTES`]; rewinds.
pub fn scan_ods_content<R: Read + Seek>(source: &mut R) -> Result<()> {
    let io = |e: std::io::Error| Error::internal(format!("reading an upload: {e}"));
    let unreadable = |e: String| refuse(unreadable_because("ODS", e));
    source.seek(SeekFrom::Start(0)).map_err(io)?;
    {
        let mut archive =
            zip::ZipArchive::new(&mut *source).map_err(|e| unreadable(e.to_string()))?;
        // Without a content.xml there is nothing to expand; the reader says what is missing.
        let content = archive.by_name("content.xml");
        if let Ok(content) = content {
            scan_content(content)?;
        }
    }
    source.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(())
}

fn scan_content(content: impl Read) -> Result<()> {
    let unreadable = |e: String| refuse(unreadable_because("ODS", e));
    {
        let mut grid = OdsGrid::default();
        let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
        xml.config_mut().check_end_names = false;
        xml.config_mut().expand_empty_elements = true;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let event = xml
                .read_event_into(&mut buf)
                .map_err(|e| unreadable(e.to_string()))?;
            match event {
                Event::Eof => break,
                Event::Start(e) => grid.start(&e)?,
                Event::End(e) => grid.end(e.name().as_ref())?,
                Event::Text(t) => grid.text(t.len() as u64)?,
                Event::CData(t) => grid.text(t.len() as u64)?,
                Event::GeneralRef(t) => grid.text(t.len() as u64 + 2)?,
                _ => {}
            }
        }
        // The reader loops forever when the file ends inside a table or a cell's annotation
        // (it waits for their end tag and takes the end of the file for just another event).
        if grid.in_table || grid.in_annotation {
            return Err(unreadable(
                "the file ends inside a table (a closing tag is missing)".into(),
            ));
        }
        grid.end_table()?;
    }
    Ok(())
}

/// The running count of an ODS workbook's grid.
#[derive(Default)]
struct OdsGrid {
    in_table: bool,
    in_annotation: bool,
    /// Rows so far in this table, repeats expanded.
    rows: u64,
    /// This row's repeat count and columns so far (repeats expanded).
    row_repeats: u64,
    columns: u64,
    /// The cell being read: its repeat count, whether it holds anything, its text bytes.
    cell: Option<(u64, bool, u64)>,
    /// This row: the column after its last filled cell, and its text bytes (one copy).
    row_end: u64,
    row_text: u64,
    /// This table: the row after its last filled row (0: none yet).
    table_end: u64,
    table_width: u64,
    /// Every table before this one.
    cells: u64,
    text: u64,
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| a.value.into_owned())
}

fn count(value: Option<String>, what: &str) -> Result<u64> {
    let Some(value) = value else { return Ok(1) };
    value.trim().parse::<u64>().ok().ok_or_else(|| {
        refuse(format!(
            "is not a readable ODS spreadsheet: a {what} count is not a number"
        ))
    })
}

impl OdsGrid {
    fn start(&mut self, e: &BytesStart<'_>) -> Result<()> {
        match e.name().as_ref() {
            "table:table" => {
                self.end_table()?;
                self.in_table = true;
            }
            "table:table-row" if self.in_table => {
                self.row_repeats = count(attribute(e, "table:number-rows-repeated"), "row")?
                    .clamp(1, ODS_MAX_ROWS);
                (self.columns, self.row_end, self.row_text) = (0, 0, 0);
            }
            "table:table-cell" | "table:covered-table-cell" if self.in_table => {
                let repeats = count(attribute(e, "table:number-columns-repeated"), "column")?
                    .clamp(1, ODS_MAX_COLUMNS);
                let mut filled = false;
                let mut text = 0u64;
                for a in e.attributes().flatten() {
                    let key = a.key.as_ref();
                    if key.starts_with("office:") || key == "table:formula" {
                        filled = true;
                        text += a.value.len() as u64;
                    }
                }
                self.cell = Some((repeats, filled, text));
            }
            "text:s" => {
                let spaces = count(attribute(e, "text:c"), "space")?;
                self.text(spaces)?;
            }
            "office:annotation" => self.in_annotation = true,
            _ => {
                if let Some(cell) = self.cell.as_mut() {
                    cell.1 = true;
                }
            }
        }
        Ok(())
    }

    fn text(&mut self, bytes: u64) -> Result<()> {
        let Some(cell) = self.cell.as_mut() else {
            return Ok(());
        };
        cell.1 = true;
        cell.2 = cell.2.saturating_add(bytes);
        if cell.2 > 4 * MAX_CELL_CHARS as u64 {
            let row = self.rows.saturating_add(1);
            let column = super::column_letter(usize::try_from(self.columns).unwrap_or(usize::MAX));
            return Err(Error::invalid_fields(vec![
                crate::error::FieldError::at_row(
                    row,
                    column,
                    format!(
                        "a cell longer than {} characters",
                        thousands(MAX_CELL_CHARS as u64)
                    ),
                ),
            ]));
        }
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<()> {
        match name {
            "table:table-cell" | "table:covered-table-cell" => {
                if let Some((repeats, filled, text)) = self.cell.take() {
                    self.columns = self.columns.saturating_add(repeats).min(ODS_MAX_COLUMNS);
                    if filled {
                        self.row_end = self.columns;
                        self.row_text = self.row_text.saturating_add(text.saturating_mul(repeats));
                    }
                }
            }
            "table:table-row" if self.in_table => {
                self.rows = self.rows.saturating_add(self.row_repeats).min(ODS_MAX_ROWS);
                if self.row_end > 0 {
                    self.table_end = self.rows;
                    self.table_width = self.table_width.max(self.row_end);
                    self.text = self
                        .text
                        .saturating_add(self.row_text.saturating_mul(self.row_repeats));
                    self.check()?;
                }
                (self.columns, self.row_end, self.row_text, self.row_repeats) = (0, 0, 0, 1);
            }
            "table:table" => self.end_table()?,
            "office:annotation" => self.in_annotation = false,
            _ => {}
        }
        Ok(())
    }

    fn end_table(&mut self) -> Result<()> {
        if self.in_table {
            self.check()?;
            self.cells = self
                .cells
                .saturating_add(self.table_end.saturating_mul(self.table_width));
        }
        (self.in_table, self.rows, self.table_end, self.table_width) = (false, 0, 0, 0);
        Ok(())
    }

    /// The tables already counted plus this one so far, against the caps.
    fn check(&self) -> Result<()> {
        let cells = self
            .cells
            .saturating_add(self.table_end.saturating_mul(self.table_width));
        if cells > MAX_ODS_CELLS {
            return Err(refuse(format!(
                "the sheets span more than {} cells (rows × columns up to the last filled cell, \
                 repeated cells counted); save the sheet as XLSX or CSV",
                thousands(MAX_ODS_CELLS)
            )));
        }
        if self.text > MAX_ODS_TEXT_BYTES {
            return Err(refuse(format!(
                "the cells hold more than {} MB of text once repeated cells are expanded; save \
                 the sheet as XLSX or CSV",
                megabytes(MAX_ODS_TEXT_BYTES)
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(32_767), "32,767");
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn a_quoted_greater_than_does_not_end_a_tag_and_comments_stay_whole() {
        let mut scanner = RunScanner::default();
        assert_eq!(scanner.feed(b"<c r=\"a>b\">x</c><!-- a > b -->"), None);
        assert_eq!(scanner.state, State::Text);
        let mut comment = RunScanner::default();
        let mut bytes = b"<!--".to_vec();
        bytes.extend(std::iter::repeat_n(b"> ".iter().copied(), 200_000).flatten());
        assert_eq!(comment.feed(&bytes), Some(Run::Markup));
    }

    #[test]
    fn a_long_text_run_is_found() {
        let mut scanner = RunScanner::default();
        let text = vec![b'x'; (MAX_XML_RUN_BYTES + 1) as usize];
        assert_eq!(scanner.feed(b"<t>"), None);
        assert_eq!(scanner.feed(&text), Some(Run::Text));
    }
}
