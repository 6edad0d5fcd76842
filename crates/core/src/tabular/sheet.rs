//! Spreadsheets (XLSX, ODS, and old XLS): the first sheet, cells as the organizer sees them.

use std::io::{Read, Seek};

use calamine::{Data, Ods, Range, Reader, Xls, Xlsx};

use super::{Format, Row};
use crate::error::{Error, Result};

/// Reads the first sheet's non-empty rows, numbered as the spreadsheet numbers them.
pub fn read_first_sheet<R: Read + Seek>(source: R, format: Format) -> Result<Vec<Row>> {
    let range = match format {
        Format::Xlsx => first_range::<_, Xlsx<_>>(source, "an XLSX")?,
        Format::Ods => first_range::<_, Ods<_>>(source, "an ODS")?,
        Format::Xls => first_range::<_, Xls<_>>(source, "an XLS")?,
        Format::Delimited => return Err(Error::internal("a delimited file is not a sheet")),
    };
    let Some((first_row, first_column)) = range.start() else {
        return Ok(Vec::new());
    };
    let padding = usize::try_from(first_column).unwrap_or(0);
    let mut rows = Vec::new();
    for (offset, cells) in range.rows().enumerate() {
        let cells: Vec<String> = std::iter::repeat_n(String::new(), padding)
            .chain(cells.iter().map(cell_text))
            .collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let number = u64::from(first_row) + offset as u64 + 1;
        rows.push(Row { number, cells });
    }
    Ok(rows)
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
            format!("is not a readable {kind} spreadsheet: {err}"),
        )
    };
    let mut workbook = W::new(source).map_err(unreadable)?;
    match workbook.worksheet_range_at(0) {
        None => Ok(Range::empty()),
        Some(range) => range.map_err(unreadable),
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
