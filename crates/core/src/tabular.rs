//! Reading the spreadsheets organizers upload: any common encoding, any common separator, header
//! names in English, Danish or French.
//!
//! The seeds' own troubleshooting list ("use the correct separator", "no non-English characters")
//! must simply never happen, so the reader decides the encoding (BOM first, then detection) and the
//! separator (the one that splits the first lines most consistently) itself.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::error::{Error, FieldError, Result};

/// A parsed file: the header row (when the file has one) and the data rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    pub encoding: &'static str,
    pub delimiter: char,
}

/// One data row with its 1-based line number in the file, as a spreadsheet would show it.
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

/// Decodes uploaded bytes to text: a BOM wins; otherwise valid UTF-8 is UTF-8; otherwise the
/// detector picks (Windows-1252 / Latin-1 for most Danish and French files).
pub fn decode_text(bytes: &[u8]) -> (String, &'static Encoding) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        let (text, _) = encoding.decode_without_bom_handling(body);
        return (text.into_owned(), encoding);
    }
    if let Some(encoding) = sniff_utf16_without_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return (text.into_owned(), encoding);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), UTF_8);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), encoding)
}

/// UTF-16 files saved without a BOM show a NUL byte in every other position of ASCII text.
fn sniff_utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = bytes.get(..bytes.len().min(512))?;
    if sample.len() < 4 {
        return None;
    }
    let even_nuls = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_nuls = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    let half = sample.len() / 2;
    if odd_nuls * 10 >= half * 8 && even_nuls == 0 {
        Some(UTF_16LE)
    } else if even_nuls * 10 >= half * 8 && odd_nuls == 0 {
        Some(UTF_16BE)
    } else {
        None
    }
}

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Picks the separator that splits the first lines into the same, largest number of fields.
pub fn sniff_delimiter(text: &str) -> u8 {
    let sample: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (b',', 0usize, 0usize); // (delimiter, consistent lines, fields)
    for delimiter in DELIMITERS {
        let counts: Vec<usize> = sample
            .iter()
            .map(|line| field_count(line, delimiter))
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (delimiter, consistent, first);
        }
    }
    best.0
}

/// Fields on one line, ignoring separators inside quotes.
fn field_count(line: &str, delimiter: u8) -> usize {
    let mut in_quotes = false;
    let mut count = 1;
    for byte in line.bytes() {
        if byte == b'"' {
            in_quotes = !in_quotes;
        } else if byte == delimiter && !in_quotes {
            count += 1;
        }
    }
    count
}

/// Finds a quoted field that is never closed, and returns the line it starts on.
fn unclosed_quote_line(text: &str, delimiter: u8) -> Option<u64> {
    let mut line: u64 = 1;
    let mut in_quotes = false;
    let mut opened_at = 0;
    let mut at_field_start = true;
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if in_quotes {
            if byte == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else if byte == b'\n' {
                line += 1;
            }
        } else if byte == b'"' && at_field_start {
            in_quotes = true;
            opened_at = line;
        } else if byte == b'\n' {
            line += 1;
        }
        at_field_start = byte == delimiter || byte == b'\n' || (byte == b'\r');
        i += 1;
    }
    in_quotes.then_some(opened_at)
}

/// The largest upload the tabular reader accepts.
pub const MAX_ROWS: usize = 2_000_000;

/// Reads a CSV upload. The first non-empty row is the header when `has_header` is true.
/// Broken quoting and rows longer than the header are errors that name the row.
pub fn read_csv(bytes: &[u8], has_header: bool) -> Result<Table> {
    let (text, encoding) = decode_text(bytes);
    let delimiter = sniff_delimiter(&text);
    if let Some(line) = unclosed_quote_line(&text, delimiter) {
        return Err(Error::invalid_fields(vec![FieldError::at_row(
            line,
            "file",
            "a quoted field starts here and is never closed (a `\"` is missing)",
        )]));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut headers = Vec::new();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(&text);
    loop {
        // The reader stops before the previous record's line break, so the next record starts on
        // the first line after the byte it reports.
        let number = lines.line_of_next_record(reader.position().byte());
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                let line = err.position().map(|p| p.line()).unwrap_or(number);
                errors.push(FieldError::at_row(
                    line,
                    "file",
                    format!("cannot be read: {err}"),
                ));
                break;
            }
        }
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if has_header && headers.is_empty() {
            headers = cells.iter().map(|c| c.trim().to_string()).collect();
            continue;
        }
        if has_header
            && cells.len() > headers.len()
            && cells
                .iter()
                .skip(headers.len())
                .any(|c| !c.trim().is_empty())
        {
            errors.push(FieldError::at_row(
                number,
                "file",
                format!(
                    "has {} fields but the header has {}",
                    cells.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        if rows.len() >= MAX_ROWS {
            errors.push(FieldError::at_row(
                number,
                "file",
                format!("too many rows; at most {MAX_ROWS}"),
            ));
            break;
        }
        rows.push(Row { number, cells });
    }
    if !errors.is_empty() {
        return Err(Error::invalid_fields(errors));
    }
    Ok(Table {
        headers,
        rows,
        encoding: encoding.name(),
        delimiter: char::from(delimiter),
    })
}

/// Turns byte offsets into 1-based line numbers, counting line breaks once as it goes forward.
struct LineCounter<'t> {
    bytes: &'t [u8],
    offset: usize,
    line: u64,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn line_of_next_record(&mut self, from: u64) -> u64 {
        let mut target = usize::try_from(from)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while matches!(self.bytes.get(target), Some(b'\r' | b'\n')) {
            target += 1;
        }
        if target > self.offset {
            let newlines = self
                .bytes
                .get(self.offset..target)
                .map_or(0, |s| s.iter().filter(|b| **b == b'\n').count());
            self.line += newlines as u64;
            self.offset = target;
        }
        self.line
    }
}

/// Normalizes a header for matching: lowercase letters and digits only, accents folded
/// (`Fødselsdato` → `fodselsdato`, `Prénom` → `prenom`).
pub fn normalize_header(header: &str) -> String {
    header
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            'æ' => Some('a'),
            'ø' => Some('o'),
            'å' | 'à' | 'â' | 'ä' | 'á' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' => Some('e'),
            'î' | 'ï' | 'í' => Some('i'),
            'ô' | 'ö' | 'ó' => Some('o'),
            'û' | 'ù' | 'ü' | 'ú' => Some('u'),
            'ç' => Some('c'),
            c if c.is_ascii_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// A field an importer can fill, with the header names that map to it automatically.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    /// Header names (any case, accents and punctuation ignored) that map to this field.
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// Which column feeds which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    columns: Vec<(&'static str, usize)>,
}

impl ColumnMap {
    /// Maps headers to fields by name; a required field with no column is an error naming it.
    pub fn from_headers(headers: &[String], fields: &[FieldSpec]) -> Result<ColumnMap> {
        let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
        let mut columns = Vec::new();
        let mut missing = Vec::new();
        for field in fields {
            let wanted = std::iter::once(field.name).chain(field.aliases.iter().copied());
            let found = wanted
                .map(normalize_header)
                .find_map(|alias| normalized.iter().position(|h| *h == alias));
            match found {
                Some(column) => columns.push((field.name, column)),
                None if field.required => missing.push(FieldError::new(
                    field.name,
                    "no column maps to this required field; name a column after it",
                )),
                None => {}
            }
        }
        if !missing.is_empty() {
            return Err(Error::invalid_fields(missing));
        }
        Ok(ColumnMap { columns })
    }

    /// The column of `field`, when one is mapped.
    pub fn column(&self, field: &str) -> Option<usize> {
        self.columns
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, c)| *c)
    }

    /// The trimmed value of `field` in `row`; `None` when unmapped or empty.
    pub fn get<'r>(&self, row: &'r Row, field: &str) -> Option<&'r str> {
        self.column(field)
            .map(|c| row.cell(c))
            .filter(|v| !v.is_empty())
    }

    /// The header of the column mapped to `field`, for error messages.
    pub fn header<'h>(&self, headers: &'h [String], field: &str) -> Option<&'h str> {
        self.column(field)
            .and_then(|c| headers.get(c))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolon_files_in_windows_1252_keep_danish_and_french_letters() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252
            .encode("Navn;Fødselsdato\nSøren Ærø;1980-01-02\nHélène;1975-03-04\n");
        let table = read_csv(&bytes, true).map_err(|e| e.to_string());
        let table = table.as_ref().map_err(String::as_str);
        assert_eq!(table.map(|t| t.delimiter), Ok(';'));
        assert_eq!(
            table.map(|t| t.rows[0].cell(0).to_string()).as_deref(),
            Ok("Søren Ærø")
        );
        assert_eq!(
            table.map(|t| t.rows[1].cell(0).to_string()).as_deref(),
            Ok("Hélène")
        );
    }

    #[test]
    fn utf16_with_bom_and_tabs_is_read() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "Code\tQuantity\r\nVIP1\t2\r\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let table = read_csv(&bytes, true).ok();
        assert_eq!(
            table.as_ref().map(|t| t.headers.clone()),
            Some(vec!["Code".to_string(), "Quantity".to_string()])
        );
        assert_eq!(table.map(|t| t.rows[0].number), Some(2));
    }

    #[test]
    fn an_unclosed_quote_is_reported_at_its_row() {
        let err = read_csv(b"a,b\n1,2\n\"3,4\n5,6\n", true)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("row 3, file: a quoted field starts here and is never closed (a `\"` is missing)")
        );
    }

    #[test]
    fn headers_map_in_any_language_and_case() {
        let headers = vec![
            "Prénom".to_string(),
            "E-mail".to_string(),
            "Postnummer".to_string(),
        ];
        let fields = [
            FieldSpec {
                name: "first_name",
                aliases: &["prenom", "fornavn", "first name"],
                required: false,
            },
            FieldSpec {
                name: "email",
                aliases: &["e-mail", "mail"],
                required: true,
            },
            FieldSpec {
                name: "postal_code",
                aliases: &["postnummer", "code postal", "zip"],
                required: false,
            },
        ];
        let map = ColumnMap::from_headers(&headers, &fields).ok();
        assert_eq!(map.as_ref().and_then(|m| m.column("first_name")), Some(0));
        assert_eq!(map.as_ref().and_then(|m| m.column("postal_code")), Some(2));
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let fields = [FieldSpec {
            name: "email",
            aliases: &[],
            required: true,
        }];
        let err = ColumnMap::from_headers(&["name".to_string()], &fields)
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().starts_with("email:"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let _ = read_csv(&bytes, true);
        }
    }
}
