//! Which column feeds which field: automatic from header names in English, Danish and French,
//! overridable column by column, and the header row itself detected (or told).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Row;
use crate::error::{Error, FieldError, Result};
use crate::i18n::Msg;

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

impl FieldSpec {
    fn answers_to(&self, normalized_header: &str) -> bool {
        std::iter::once(self.name)
            .chain(self.aliases.iter().copied())
            .any(|alias| normalize_header(alias) == normalized_header)
    }
}

/// How many leading rows are header rows: detected, or said by the user ("ignore header rows").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeaderRows {
    /// A first row whose cells name fields, or that holds text above a column of numbers.
    #[default]
    Auto,
    /// Exactly this many rows are skipped; the last of them names the columns (0: no header).
    Count(u32),
}

/// The first row is a header when one of its cells names a field, or when it has text above a
/// column whose next rows are all numbers ("Quantity" above 1, 2, 5).
pub fn looks_like_header(rows: &[Row], fields: &[FieldSpec]) -> bool {
    let Some((first, rest)) = rows.split_first() else {
        return false;
    };
    let names_a_field = first.cells.iter().any(|cell| {
        let cell = normalize_header(cell);
        !cell.is_empty() && fields.iter().any(|f| f.answers_to(&cell))
    });
    if names_a_field {
        return true;
    }
    let is_number = |s: &str| !s.is_empty() && s.trim().parse::<f64>().is_ok();
    (0..first.cells.len()).any(|column| {
        !rest.is_empty()
            && !is_number(first.cell(column))
            && !first.cell(column).is_empty()
            && rest.iter().all(|row| is_number(row.cell(column)))
    })
}

/// The most title rows skipped above a header.
pub const MAX_TITLE_ROWS: usize = 5;

/// How many rows the reader compares a header candidate with.
const ROWS_COMPARED: usize = 10;

/// How many leading rows are titles above the header: a spreadsheet export often starts with a
/// line or two holding one cell ("Subscribers 2026", a date), then the header. The header is the
/// first row with more than one filled cell, within the first [`MAX_TITLE_ROWS`] + 1 rows, when
/// the rows below it have a comparable width: at least half of them have two filled cells or
/// more, and none has more than twice as many as it. Otherwise nothing is a title (0).
///
/// The rows given are the non-empty rows (the readers skip empty ones), so an empty line between
/// the title and the header is no title row; every row keeps its number in the file.
///
/// A one-column file (a list of codes) has no row with two filled cells: its first row is its
/// header, never a title. And a single stray wider row in it is no header: the rows below it are
/// one cell wide.
pub fn title_rows(rows: &[Row]) -> usize {
    let filled = |row: &Row| row.cells.iter().filter(|c| !c.trim().is_empty()).count();
    let Some(header) = rows
        .iter()
        .take(MAX_TITLE_ROWS + 1)
        .position(|row| filled(row) > 1)
    else {
        return 0;
    };
    let Some(width) = rows.get(header).map(filled) else {
        return 0;
    };
    let below: Vec<usize> = rows
        .iter()
        .skip(header + 1)
        .take(ROWS_COMPARED)
        .map(filled)
        .collect();
    let wide = below.iter().filter(|&&n| n > 1).count();
    let comparable = !below.is_empty()
        && wide * 2 >= below.len()
        && below.iter().all(|&n| n <= width.saturating_mul(2));
    if comparable {
        header
    } else {
        0
    }
}

/// A spreadsheet's name for a column: A, B, …, Z, AA, AB, …
pub fn column_letter(column: usize) -> String {
    let mut n = column + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Which column feeds which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    columns: Vec<(&'static str, usize)>,
}

/// What the user chose for one column: a field's name, or `ignore` (or empty) to skip it.
pub const IGNORE_COLUMN: &str = "ignore";

impl ColumnMap {
    /// Maps headers to fields by name; a required field with no column is an error naming it.
    pub fn from_headers(headers: &[String], fields: &[FieldSpec]) -> Result<ColumnMap> {
        let map = Self::automatic(headers, fields);
        map.require(fields)?;
        Ok(map)
    }

    /// Maps headers to fields by name, leaving unnamed fields unmapped.
    pub fn automatic(headers: &[String], fields: &[FieldSpec]) -> ColumnMap {
        let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
        let mut columns = Vec::new();
        for field in fields {
            let taken = |c: usize| columns.iter().any(|(_, used)| *used == c);
            let found = normalized
                .iter()
                .enumerate()
                .find(|(c, h)| !h.is_empty() && field.answers_to(h) && !taken(*c))
                .map(|(c, _)| c);
            if let Some(column) = found {
                columns.push((field.name, column));
            }
        }
        ColumnMap { columns }
    }

    /// Without a header: the fields in their listed order, one per column.
    pub fn positional(column_count: usize, fields: &[FieldSpec]) -> ColumnMap {
        ColumnMap {
            columns: fields
                .iter()
                .take(column_count)
                .enumerate()
                .map(|(column, field)| (field.name, column))
                .collect(),
        }
    }

    /// The user's choice per column (`code`, `quantity`, `ignore`, …), checked against the fields.
    pub fn from_choices(choices: &[String], fields: &[FieldSpec]) -> Result<ColumnMap> {
        let mut columns: Vec<(&'static str, usize)> = Vec::new();
        let mut problems = Vec::new();
        for (column, choice) in choices.iter().enumerate() {
            let choice = choice.trim();
            if choice.is_empty() || choice.eq_ignore_ascii_case(IGNORE_COLUMN) {
                continue;
            }
            let place = format!("columns[{column}]");
            match fields.iter().find(|f| f.name.eq_ignore_ascii_case(choice)) {
                None => problems.push(FieldError::new(
                    place,
                    Msg::new("engine-mapping-unknown-field")
                        .arg("choice", choice)
                        .arg(
                            "fields",
                            fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", "),
                        ),
                )),
                Some(field) if columns.iter().any(|(name, _)| *name == field.name) => problems
                    .push(FieldError::new(
                        place,
                        Msg::new("engine-mapping-chosen-twice").arg("field", field.name),
                    )),
                Some(field) => columns.push((field.name, column)),
            }
        }
        if !problems.is_empty() {
            return Err(Error::invalid_fields(problems));
        }
        Ok(ColumnMap { columns })
    }

    /// An error naming every required field no column feeds.
    pub fn require(&self, fields: &[FieldSpec]) -> Result<()> {
        let missing: Vec<FieldError> = fields
            .iter()
            .filter(|f| f.required && self.column(f.name).is_none())
            .map(|f| FieldError::new(f.name, Msg::new("engine-mapping-required")))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid_fields(missing))
        }
    }

    /// The field each of `column_count` columns feeds (`None`: ignored), for showing the choice.
    pub fn choices(&self, column_count: usize) -> Vec<Option<&'static str>> {
        (0..column_count)
            .map(|c| {
                self.columns
                    .iter()
                    .find(|(_, col)| *col == c)
                    .map(|(f, _)| *f)
            })
            .collect()
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
