//! Delimited text (CSV, semicolon, tab or pipe separated), read row by row as it streams.

use std::io::{self, Read};

use super::limits::{thousands, MAX_CELL_CHARS, MAX_ROW_BYTES};
use super::{column_letter, Row, MAX_TITLE_ROWS};
use crate::error::FieldError;
use crate::i18n::Msg;

/// The separators organizers' spreadsheets use, in order of preference on a tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Picks the separator that splits the first records into the same, largest number of fields.
/// Records are split the way the parser will split them: a line break inside quotes does not
/// end a record, and a separator inside quotes does not split a field.
///
/// Up to [`MAX_TITLE_ROWS`] leading records without the separator (titles above the header,
/// "Subscribers 2026") are passed over when most of the records after them agree; a one-column
/// file with a `;` in one of its first cells is not thereby read as semicolon-separated.
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0usize, 0usize); // (delimiter, consistent records, fields)
    for delimiter in DELIMITERS {
        let counts = field_counts(text, delimiter, 20 + MAX_TITLE_ROWS);
        let Some(start) = counts.iter().take(MAX_TITLE_ROWS + 1).position(|&c| c >= 2) else {
            continue;
        };
        let counts = counts.get(start..).unwrap_or_default();
        let Some(&first) = counts.first() else {
            continue;
        };
        let consistent = counts.iter().filter(|&&c| c == first).count();
        if start > 0 && (consistent < 2 || consistent * 2 <= counts.len()) {
            continue;
        }
        if (consistent, first) > (best.1, best.2) {
            best = (delimiter, consistent, first);
        }
    }
    best.0
}

/// The separator named by Excel's first line `sep=;` (also `sep=,`, a tab, `sep=|`, any other
/// punctuation, and `sep=\t` written out; any case, optionally in quotes, optionally followed by
/// more of the separator as a spreadsheet that re-saved the line writes it). Excel writes it so
/// that a file opens right in any locale; the reader takes it as the separator and skips the line.
pub fn excel_separator_line(text: &str) -> Option<u8> {
    let line = text.lines().next()?;
    let line = line
        .trim_start_matches('\u{feff}')
        .trim_matches(|c| c == ' ' || c == '\r');
    let (body, tail) = match line.strip_prefix('"') {
        Some(quoted) => {
            let end = quoted.find('"')?;
            (quoted.get(..end)?, quoted.get(end + 1..)?)
        }
        None => (line, ""),
    };
    let prefix = body.get(..4)?;
    if !prefix.eq_ignore_ascii_case("sep=") {
        return None;
    }
    let rest = body.get(4..)?;
    let (separator, after) = if let Some(after) = rest.strip_prefix("\\t") {
        (b'\t', after)
    } else {
        let mut chars = rest.chars();
        let c = chars.next()?;
        let usable = c == '\t' || (c.is_ascii_punctuation() && c != '"');
        if !usable {
            return None;
        }
        (u8::try_from(c).ok()?, chars.as_str())
    };
    let only_separator = |s: &str| s.bytes().all(|b| b == separator);
    (only_separator(after) && only_separator(tail)).then_some(separator)
}

/// Fields per record for the first `limit` non-blank records (a record cut off by the end of
/// the sample is left out when there are others).
fn field_counts(text: &str, delimiter: u8, limit: usize) -> Vec<usize> {
    let mut counts = Vec::new();
    let (mut in_quotes, mut fields, mut blank) = (false, 1usize, true);
    for byte in text.bytes() {
        match byte {
            b'"' => {
                in_quotes = !in_quotes;
                blank = false;
            }
            b'\n' | b'\r' if !in_quotes => {
                if !blank {
                    counts.push(fields);
                    if counts.len() == limit {
                        return counts;
                    }
                }
                (fields, blank) = (1, true);
            }
            b if b == delimiter && !in_quotes => {
                fields += 1;
                blank = false;
            }
            b if !b.is_ascii_whitespace() => blank = false,
            _ => {}
        }
    }
    if !blank && (counts.is_empty() || !in_quotes) {
        counts.push(fields);
    }
    counts
}

/// Follows RFC 4180 quoting over the bytes the CSV parser reads, so that a quoted field that is
/// never closed can be reported at the line it opens on. (The `csv` crate would silently read the
/// rest of the file into that one field.)
struct QuoteWatch<R> {
    inner: R,
    delimiter: u8,
    line: u64,
    state: QuoteState,
    at_field_start: bool,
    opened_at: u64,
    at_end: bool,
    /// Bytes read so far.
    offset: u64,
    /// Offsets of the `\r` and `\n` bytes read but not yet passed by the parser.
    breaks: std::collections::VecDeque<(u64, u8)>,
    /// `\n` bytes the parser has passed.
    lines_passed: u64,
    /// Bytes of the record being read (a line break inside quotes does not end it), and the
    /// line it started on.
    record_bytes: usize,
    record_line: u64,
    /// The line of a record longer than [`MAX_ROW_BYTES`]: reading stopped there.
    overlong: Option<u64>,
}

#[derive(Clone, Copy, PartialEq)]
enum QuoteState {
    Outside,
    Inside,
    /// A `"` inside quotes: either the closing quote or the first half of `""`.
    QuoteInside,
}

impl<R: Read> QuoteWatch<R> {
    fn observe(&mut self, byte: u8) {
        self.record_bytes += 1;
        match self.state {
            QuoteState::Inside => {
                if byte == b'"' {
                    self.state = QuoteState::QuoteInside;
                } else if byte == b'\n' {
                    self.line += 1;
                }
                return;
            }
            QuoteState::QuoteInside if byte == b'"' => {
                self.state = QuoteState::Inside;
                return;
            }
            QuoteState::QuoteInside => self.state = QuoteState::Outside,
            QuoteState::Outside => {}
        }
        if byte == b'"' && self.at_field_start {
            self.state = QuoteState::Inside;
            self.opened_at = self.line;
        } else if byte == b'\n' {
            self.line += 1;
        }
        if byte == b'\n' || byte == b'\r' {
            (self.record_bytes, self.record_line) = (0, self.line);
        }
        self.at_field_start = byte == self.delimiter || byte == b'\n' || byte == b'\r';
    }

    /// The 1-based line of a record whose parse began at byte `start`. The parser begins a
    /// record at the line break that ended the previous one (and skips blank lines), so the line
    /// breaks right at `start` still belong before the record.
    fn line_of_record_at(&mut self, start: u64) -> u64 {
        while let Some(&(offset, byte)) = self.breaks.front() {
            if offset >= start {
                break;
            }
            self.lines_passed += u64::from(byte == b'\n');
            self.breaks.pop_front();
        }
        let mut next = start;
        while let Some(&(offset, byte)) = self.breaks.front() {
            if offset != next {
                break;
            }
            self.lines_passed += u64::from(byte == b'\n');
            self.breaks.pop_front();
            next += 1;
        }
        self.lines_passed + 1
    }

    fn unclosed_quote(&self) -> Option<u64> {
        (self.at_end && self.state == QuoteState::Inside).then_some(self.opened_at)
    }
}

impl<R: Read> Read for QuoteWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if read == 0 {
            self.at_end = true;
        }
        for &byte in buf.get(..read).unwrap_or_default() {
            self.observe(byte);
            // The parser would hold the whole record: a 50 MB line stops here, not in memory.
            if self.record_bytes > MAX_ROW_BYTES {
                self.overlong = Some(self.record_line);
                return Err(io::Error::other("a line longer than 1 MiB"));
            }
            if byte == b'\n' || byte == b'\r' {
                self.breaks.push_back((self.offset, byte));
            }
            self.offset += 1;
        }
        Ok(read)
    }
}

/// Rows of a delimited UTF-8 stream, empty lines skipped, each with the line it starts on.
pub struct DelimitedRows {
    reader: csv::Reader<QuoteWatch<Box<dyn Read + Send>>>,
    record: csv::StringRecord,
    failed: bool,
}

impl DelimitedRows {
    pub fn new(text: Box<dyn Read + Send>, delimiter: u8) -> Self {
        let watch = QuoteWatch {
            inner: text,
            delimiter,
            line: 1,
            state: QuoteState::Outside,
            at_field_start: true,
            opened_at: 1,
            at_end: false,
            offset: 0,
            breaks: std::collections::VecDeque::new(),
            lines_passed: 0,
            record_bytes: 0,
            record_line: 1,
            overlong: None,
        };
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(watch);
        Self {
            reader,
            record: csv::StringRecord::new(),
            failed: false,
        }
    }
}

impl Iterator for DelimitedRows {
    type Item = Result<Row, FieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(_) if self.reader.get_ref().overlong.is_some() => {
                    self.failed = true;
                    let line = self.reader.get_ref().overlong.unwrap_or(0);
                    return Some(Err(FieldError::at_row(
                        line,
                        "file",
                        Msg::new("engine-line-too-long"),
                    )));
                }
                Err(err) => {
                    self.failed = true;
                    let line = err.position().map(|p| p.line()).unwrap_or(0);
                    return Some(Err(FieldError::at_row(
                        line,
                        "file",
                        Msg::new("engine-row-unreadable").arg("detail", err),
                    )));
                }
            }
            if let Some(line) = self.reader.get_ref().unclosed_quote() {
                self.failed = true;
                return Some(Err(FieldError::at_row(
                    line,
                    "file",
                    Msg::new("engine-unclosed-quote"),
                )));
            }
            let start = self.record.position().map_or(0, |p| p.byte());
            let number = self.reader.get_mut().line_of_record_at(start);
            if self.record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let long = self
                .record
                .iter()
                .enumerate()
                .find(|(_, c)| c.len() > MAX_CELL_CHARS && c.chars().count() > MAX_CELL_CHARS);
            if let Some((column, _)) = long {
                self.failed = true;
                return Some(Err(FieldError::at_row(
                    number,
                    column_letter(column),
                    Msg::new("engine-cell-too-long").arg("max", thousands(MAX_CELL_CHARS as u64)),
                )));
            }
            let cells = self.record.iter().map(str::to_string).collect();
            return Some(Ok(Row { number, cells }));
        }
    }
}
