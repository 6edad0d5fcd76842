//! An event's ticket holders as a CSV download (the door list): one row per valid ticket with
//! its order, type, place, holder and price.
//!
//! Written in the reader's spreadsheet conventions: Danish and French spreadsheet programs read
//! `;` between cells (the comma is their decimal mark) and the headers in their language; every
//! cell goes through [`TableWriter`], so a name starting with `=` cannot run as a formula.

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use fullhouse_core::http::AppState;
use fullhouse_core::tabular::{ExportFormat, TableWriter};
use fullhouse_core::{Permission, Result};
use fullhouse_web::{Lang, PageError, Ui};

use crate::service::orders::TicketHolder;
use crate::service::{CatalogService, OrderService};
use crate::EventId;

/// The columns' keys, in order.
const HEADERS: [&str; 8] = [
    "holders-col-order",
    "holders-col-ticket-type",
    "holders-col-place",
    "holders-col-first-name",
    "holders-col-last-name",
    "holders-col-email",
    "holders-col-phone",
    "holders-col-price",
];

/// The CSV separator for a reader of `lang`: `;` where the comma is the decimal mark.
pub fn csv_delimiter(lang: Lang) -> u8 {
    match lang {
        Lang::En => b',',
        Lang::Da | Lang::Fr => b';',
    }
}

/// A price as a spreadsheet program of `lang` reads a number: `125.00` or `125,00`.
fn decimal(lang: Lang, minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let mark = if lang == Lang::En { '.' } else { ',' };
    format!("{sign}{}{mark}{:02}", abs / 100, abs % 100)
}

/// The door list as CSV bytes, headers in `lang`.
pub fn holders_table(lang: Lang, holders: &[TicketHolder]) -> Result<Vec<u8>> {
    let headers: Vec<String> = HEADERS.iter().map(|key| lang.t(key)).collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut writer = TableWriter::new(ExportFormat::Csv, &headers, csv_delimiter(lang))?;
    for h in holders {
        writer.write_row(&[
            h.order_id.as_str(),
            &h.ticket_type,
            h.place.as_deref().unwrap_or(""),
            h.first_name.as_deref().unwrap_or(""),
            h.last_name.as_deref().unwrap_or(""),
            h.email.as_deref().unwrap_or(""),
            h.phone.as_deref().unwrap_or(""),
            &decimal(lang, h.price_minor),
        ])?;
    }
    writer.finish()
}

pub(super) async fn holders_csv(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> std::result::Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = EventId::parse(&id).map_err(|e| ui.error(e))?;
    let org = &ui.caller.org;
    let event = CatalogService::new(state.db.clone())
        .event(org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let holders = OrderService::new(state.db.clone())
        .ticket_holders(org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let bytes = holders_table(ui.lang, &holders).map_err(|e| ui.error(e))?;
    // The file is named by the event's local date and id: no quoting of a title needed.
    let day = event
        .starts_at
        .with_timezone(&ui.timezone)
        .format("%Y-%m-%d");
    let disposition = format!("attachment; filename=\"holders-{day}-{}.csv\"", event.id);
    Ok((
        [
            (CONTENT_TYPE, ExportFormat::Csv.content_type().to_string()),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_use_the_readers_decimal_mark() {
        assert_eq!(decimal(Lang::En, 12500), "125.00");
        assert_eq!(decimal(Lang::Da, 12505), "125,05");
        assert_eq!(decimal(Lang::Fr, -50), "-0,50");
        assert_eq!(csv_delimiter(Lang::Da), b';');
    }
}
