//! CSV import of historical orders: one row per ticket, rows grouped into orders by their order
//! id (the id on the platform the organizer comes from).
//!
//! Cells are checked first (ids, dates, prices); then the orders go through the same ingest as
//! bulk JSON, so seats, capacity and barcodes are checked exactly as for any sale. Every problem
//! comes back as row number + column header + reason, from both steps at once. The import is
//! all-or-nothing, and importing the same file again books nothing: known order ids are skipped.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use fullhouse_core::money::parse_decimal_minor;
use fullhouse_core::tabular::{read_csv, ColumnMap, FieldSpec, Row, Table};
use fullhouse_core::{Error, FieldError, OrgId, Reason, Result};

use crate::model::ids::*;
use crate::model::orders::*;
use crate::service::orders::{IngestError, Problem};
use crate::service::OrderService;

/// The columns an order file may have, with the headers that map to them in English, Danish and
/// French (case, accents and punctuation are ignored).
pub const FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "orderId",
        aliases: &[
            "order id",
            "external order id",
            "order",
            "order number",
            "ordre",
            "ordre id",
            "ordrenummer",
            "ordrenr",
            "commande",
            "id commande",
            "numero de commande",
        ],
        required: true,
    },
    FieldSpec {
        name: "customerId",
        aliases: &[
            "customer id",
            "customer",
            "kunde",
            "kunde id",
            "kundenummer",
            "kundenr",
            "client",
            "id client",
            "numero client",
        ],
        required: false,
    },
    FieldSpec {
        name: "channel",
        aliases: &[
            "sales channel",
            "kanal",
            "salgskanal",
            "canal",
            "canal de vente",
        ],
        required: false,
    },
    FieldSpec {
        name: "createdAt",
        aliases: &[
            "created at",
            "purchased at",
            "purchase date",
            "order date",
            "købt",
            "købsdato",
            "ordredato",
            "oprettet",
            "date d'achat",
            "date de commande",
            "acheté le",
        ],
        required: false,
    },
    FieldSpec {
        name: "eventId",
        aliases: &[
            "event id",
            "event",
            "begivenhed",
            "arrangement",
            "forestilling",
            "événement",
            "id événement",
            "séance",
        ],
        required: false,
    },
    FieldSpec {
        name: "ticketTypeId",
        aliases: &[
            "ticket type id",
            "ticket type",
            "billettype",
            "billettype id",
            "type de billet",
            "tarif",
        ],
        required: true,
    },
    FieldSpec {
        name: "sectionName",
        aliases: &["section", "sektion", "afsnit"],
        required: false,
    },
    FieldSpec {
        name: "groupName",
        aliases: &["group", "block", "blok", "bloc", "groupe"],
        required: false,
    },
    FieldSpec {
        name: "rowName",
        aliases: &["row", "række", "rang"],
        required: false,
    },
    FieldSpec {
        name: "seatLabel",
        aliases: &[
            "seat",
            "seat label",
            "sæde",
            "plads",
            "pladsnummer",
            "siège",
            "place",
        ],
        required: false,
    },
    FieldSpec {
        name: "gaName",
        aliases: &[
            "ga",
            "ga area",
            "general admission",
            "ståplads",
            "område",
            "zone",
            "placement libre",
        ],
        required: false,
    },
    FieldSpec {
        name: "price",
        aliases: &["price paid", "pris", "prix", "amount", "beløb", "montant"],
        required: false,
    },
    FieldSpec {
        name: "deliveryType",
        aliases: &[
            "delivery type",
            "delivery",
            "levering",
            "leveringstype",
            "livraison",
            "mode de livraison",
        ],
        required: false,
    },
    FieldSpec {
        name: "barcode",
        aliases: &[
            "stregkode",
            "billetkode",
            "ticket code",
            "code-barres",
            "code barre",
        ],
        required: false,
    },
];

/// Imports the orders of a CSV file (all or nothing); see the module docs.
pub async fn import_csv(
    service: &OrderService,
    org: &OrgId,
    bytes: Vec<u8>,
) -> Result<IngestSummary> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid("file", "is empty"));
    }
    let table = tokio::task::spawn_blocking(move || read_csv(&bytes, true))
        .await
        .map_err(Error::internal)??;
    if table.rows.is_empty() {
        return Err(Error::invalid("file", "has a header row but no orders"));
    }
    let columns = ColumnMap::from_headers(&table.headers, FIELDS)?;
    let sheet = OrderSheet {
        table: &table,
        columns: &columns,
    };
    let mut parsed = sheet.parse();
    sheet.resolve_customers(service, org, &mut parsed).await?;
    let (orders, origins) = parsed.complete_orders();
    let mut errors = parsed.errors;
    if errors.is_empty() {
        return match service.ingest(org, &orders, OrderSource::Import).await {
            Ok(summary) => Ok(summary),
            Err(IngestError::Other(err)) => Err(err),
            Err(IngestError::Problems(problems)) => {
                Err(Error::invalid_fields(sheet.locate(&problems, &origins)))
            }
        };
    }
    // Report the rest of the file's problems too, so one round of fixes is enough.
    if !orders.is_empty() {
        match service
            .check_ingest(org, &orders, OrderSource::Import)
            .await
        {
            Ok(()) => {}
            Err(IngestError::Problems(problems)) => {
                errors.extend(sheet.locate(&problems, &origins))
            }
            Err(IngestError::Other(err)) => return Err(err),
        }
    }
    errors.sort_by_key(|e| e.row);
    Err(Error::invalid_fields(errors))
}

/// Where an order's cells came from: its first row and the row of each ticket.
struct Origin {
    first_row: u64,
    ticket_rows: Vec<u64>,
}

/// A customer cell: a Fullhouse id, or the customer's id on the platform the file comes from.
#[derive(Debug, Clone, PartialEq)]
enum CustomerRef {
    Id(CustomerId),
    External(String),
}

/// The order-level cells of a group of rows, as first seen.
struct OrderCells {
    external_id: String,
    first_row: u64,
    customer: Option<(String, CustomerRef)>,
    channel: Option<(String, Channel)>,
    created_at: Option<(String, DateTime<Utc>)>,
    tickets: Vec<(u64, NewTicket)>,
    /// Some row of this order has a bad ticket cell: the order is checked but cannot be complete.
    broken: bool,
}

#[derive(Default)]
struct ParsedSheet {
    orders: Vec<OrderCells>,
    errors: Vec<FieldError>,
}

impl ParsedSheet {
    /// The orders that could be read (with their origins), skipping tickets whose cells are bad.
    fn complete_orders(&self) -> (Vec<NewOrder>, Vec<Origin>) {
        let mut orders = Vec::new();
        let mut origins = Vec::new();
        for cells in &self.orders {
            if cells.tickets.is_empty() {
                continue;
            }
            let customer_id = match &cells.customer {
                Some((_, CustomerRef::Id(id))) => Some(id.clone()),
                _ => None,
            };
            orders.push(NewOrder {
                referral_code: None,
                customer_id,
                channel: cells.channel.as_ref().map_or(Channel::Online, |(_, c)| *c),
                external_id: Some(cells.external_id.clone()),
                created_at: cells.created_at.as_ref().map(|(_, t)| *t),
                tickets: cells.tickets.iter().map(|(_, t)| t.clone()).collect(),
            });
            origins.push(Origin {
                first_row: cells.first_row,
                ticket_rows: cells.tickets.iter().map(|(row, _)| *row).collect(),
            });
        }
        (orders, origins)
    }
}

struct OrderSheet<'t> {
    table: &'t Table,
    columns: &'t ColumnMap,
}

impl OrderSheet<'_> {
    /// The header of `field`'s column as the file names it (for messages).
    fn header(&self, field: &'static str) -> String {
        self.columns
            .header(&self.table.headers, field)
            .unwrap_or(field)
            .to_string()
    }

    fn error(&self, row: &Row, field: &'static str, reason: impl Into<Reason>) -> FieldError {
        FieldError::at_row(row.number, self.header(field), reason)
    }

    fn parse(&self) -> ParsedSheet {
        let mut parsed = ParsedSheet::default();
        let mut by_external_id: HashMap<String, usize> = HashMap::new();
        for row in &self.table.rows {
            let Some(external_id) = self.order_id(row, &mut parsed.errors) else {
                continue;
            };
            let index = *by_external_id
                .entry(external_id.clone())
                .or_insert_with(|| {
                    parsed.orders.push(OrderCells {
                        external_id,
                        first_row: row.number,
                        customer: None,
                        channel: None,
                        created_at: None,
                        tickets: Vec::new(),
                        broken: false,
                    });
                    parsed.orders.len() - 1
                });
            let Some(cells) = parsed.orders.get_mut(index) else {
                continue;
            };
            self.order_cells(row, cells, &mut parsed.errors);
            match self.ticket(row) {
                Ok(ticket) => cells.tickets.push((row.number, ticket)),
                Err(mut bad) => {
                    cells.broken = true;
                    parsed.errors.append(&mut bad);
                }
            }
        }
        parsed
    }

    fn order_id(&self, row: &Row, errors: &mut Vec<FieldError>) -> Option<String> {
        match external_id(self.columns.get(row, "orderId").unwrap_or_default()) {
            Ok(value) => Some(value),
            Err(reason) => {
                errors.push(self.error(row, "orderId", reason));
                None
            }
        }
    }

    /// Reads the order-level cells of a row: the first row of an order sets them; later rows may
    /// leave them empty or repeat them, but not contradict them.
    fn order_cells(&self, row: &Row, cells: &mut OrderCells, errors: &mut Vec<FieldError>) {
        if let Some(raw) = self.columns.get(row, "customerId") {
            let parsed = if raw.starts_with(&format!("{}_", CustomerId::PREFIX)) {
                CustomerId::parse(raw)
                    .map(CustomerRef::Id)
                    .map_err(|e| e.to_string())
            } else {
                Ok(CustomerRef::External(raw.to_string()))
            };
            errors.extend(self.keep_consistent(
                row,
                "customerId",
                raw,
                parsed,
                &mut cells.customer,
            ));
        }
        if let Some(raw) = self.columns.get(row, "channel") {
            let parsed = Channel::parse_loose(raw)
                .ok_or_else(|| format!("`{raw}` is not a channel; use online or box_office"));
            errors.extend(self.keep_consistent(row, "channel", raw, parsed, &mut cells.channel));
        }
        if let Some(raw) = self.columns.get(row, "createdAt") {
            let parsed = parse_purchase_time(raw);
            errors.extend(self.keep_consistent(
                row,
                "createdAt",
                raw,
                parsed,
                &mut cells.created_at,
            ));
        }
    }

    /// Keeps the first value seen for an order-level cell; a later row may repeat it but not
    /// contradict it.
    fn keep_consistent<T>(
        &self,
        row: &Row,
        field: &'static str,
        raw: &str,
        parsed: std::result::Result<T, String>,
        slot: &mut Option<(String, T)>,
    ) -> Option<FieldError> {
        match (parsed, slot.as_ref()) {
            (Err(reason), _) => Some(self.error(row, field, reason)),
            (Ok(value), None) => {
                *slot = Some((raw.to_string(), value));
                None
            }
            (Ok(_), Some((seen, _))) if seen == raw => None,
            (Ok(_), Some((seen, _))) => Some(self.error(
                row,
                field,
                format!("`{raw}` differs from `{seen}` given earlier for the same order"),
            )),
        }
    }

    /// Reads a row's ticket; every bad cell of the row is an error.
    fn ticket(&self, row: &Row) -> std::result::Result<NewTicket, Vec<FieldError>> {
        let mut errors = Vec::new();
        let ticket_type_id = match self.columns.get(row, "ticketTypeId") {
            None => Err(self.error(row, "ticketTypeId", "cannot be empty")),
            Some(raw) => TicketTypeId::parse(raw)
                .map_err(|err| self.error(row, "ticketTypeId", err.to_string())),
        };
        // A placeholder type while the row's other cells are checked; never booked.
        let mut ticket = NewTicket::of_type(match ticket_type_id {
            Ok(id) => id,
            Err(err) => {
                errors.push(err);
                TicketTypeId::generate()
            }
        });
        if let Some(raw) = self.columns.get(row, "eventId") {
            match EventId::parse(raw) {
                Ok(id) => ticket.event_id = Some(id),
                Err(err) => errors.push(self.error(row, "eventId", err.to_string())),
            }
        }
        match self.seat(row) {
            Ok(seat) => ticket.seat = seat,
            Err(err) => errors.push(err),
        }
        ticket.ga_name = self.columns.get(row, "gaName").map(str::to_string);
        if let Some(raw) = self.columns.get(row, "price") {
            let cleaned: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
            match parse_decimal_minor("price", &cleaned) {
                Ok(minor) => ticket.price_minor = Some(minor),
                Err(_) => errors.push(self.error(
                    row,
                    "price",
                    format!("`{raw}` is not an amount such as 125.50"),
                )),
            }
        }
        if let Some(raw) = self.columns.get(row, "deliveryType") {
            match DeliveryType::parse_loose(raw) {
                Some(delivery) => ticket.delivery_type = Some(delivery),
                None => errors.push(self.error(
                    row,
                    "deliveryType",
                    format!("`{raw}` is not a delivery type; use VIRTUAL or HARD"),
                )),
            }
        }
        if let Some(raw) = self.columns.get(row, "barcode") {
            match supplied_barcode(raw) {
                Ok(barcode) => ticket.barcode = Some(barcode),
                Err(reason) => errors.push(self.error(row, "barcode", reason)),
            }
        }
        if errors.is_empty() {
            Ok(ticket)
        } else {
            Err(errors)
        }
    }

    /// The seat of a row, by its four names; a seat label is needed when any name is given.
    fn seat(&self, row: &Row) -> std::result::Result<Option<SeatNames>, FieldError> {
        let cell = |field| self.columns.get(row, field).unwrap_or_default().to_string();
        let names = SeatNames {
            section_name: cell("sectionName"),
            group_name: cell("groupName"),
            row_name: cell("rowName"),
            seat_label: cell("seatLabel"),
        };
        if !names.seat_label.is_empty() {
            return Ok(Some(names));
        }
        if names.section_name.is_empty() && names.group_name.is_empty() && names.row_name.is_empty()
        {
            return Ok(None);
        }
        Err(self.error(
            row,
            "seatLabel",
            "cannot be empty when a section, group or row is given",
        ))
    }

    /// Turns customer cells that hold another platform's customer ids into Fullhouse ids.
    async fn resolve_customers(
        &self,
        service: &OrderService,
        org: &OrgId,
        parsed: &mut ParsedSheet,
    ) -> Result<()> {
        let wanted: Vec<String> = parsed
            .orders
            .iter()
            .filter_map(|o| match &o.customer {
                Some((_, CustomerRef::External(id))) => Some(id.clone()),
                _ => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let found = service.customers_by_external_id(org, &wanted).await?;
        let header = self.header("customerId");
        for order in &mut parsed.orders {
            let Some((raw, CustomerRef::External(external))) = &order.customer else {
                continue;
            };
            match found.get(external) {
                Some(id) => order.customer = Some((raw.clone(), CustomerRef::Id(id.clone()))),
                None => {
                    parsed.errors.push(FieldError::at_row(
                        order.first_row,
                        header.clone(),
                        format!("no customer with the id or external id `{external}`"),
                    ));
                    order.customer = None;
                    order.broken = true;
                }
            }
        }
        Ok(())
    }

    /// Points each ingest problem at its row and column.
    fn locate(&self, problems: &[Problem], origins: &[Origin]) -> Vec<FieldError> {
        problems
            .iter()
            .map(|problem| {
                let origin = origins.get(problem.order);
                let row = match (origin, problem.ticket) {
                    (Some(origin), Some(ticket)) => origin
                        .ticket_rows
                        .get(ticket)
                        .copied()
                        .unwrap_or(origin.first_row),
                    (Some(origin), None) => origin.first_row,
                    (None, _) => 0,
                };
                FieldError::at_row(row, self.header(column_of(problem.field)), &problem.reason)
            })
            .collect()
    }
}

/// The file column that feeds an order or ticket field.
fn column_of(field: &str) -> &'static str {
    match field {
        "customer_id" => "customerId",
        "channel" => "channel",
        "created_at" => "createdAt",
        "event_id" => "eventId",
        "ticket_type_id" => "ticketTypeId",
        "seat" | "seat_id" => "seatLabel",
        "ga_name" => "gaName",
        "price_minor" => "price",
        "delivery_type" => "deliveryType",
        "barcode" => "barcode",
        _ => "orderId",
    }
}

/// A purchase time as spreadsheets write it: RFC 3339, or a date with an optional time
/// (year first, or day first with `-`, `.` or `/`). Times without a zone are UTC.
fn parse_purchase_time(value: &str) -> std::result::Result<DateTime<Utc>, String> {
    const DATE_TIMES: [&str; 10] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%d-%m-%Y %H:%M:%S",
        "%d-%m-%Y %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ];
    const DATES: [&str; 4] = ["%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"];
    let value = value.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Some(time) = DATE_TIMES
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
    {
        return Ok(time.and_utc());
    }
    if let Some(date) = DATES
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(value, format).ok())
    {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(format!(
        "`{value}` is not a date and time such as 2024-03-01 19:30 or 2024-03-01T19:30:00Z"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_times_are_read_in_common_spreadsheet_shapes() {
        let expected = "2024-03-01T19:30:00Z";
        for value in [
            "2024-03-01T19:30:00Z",
            "2024-03-01 19:30",
            "01.03.2024 19:30",
            "01/03/2024 19:30:00",
        ] {
            assert_eq!(
                parse_purchase_time(value)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                Ok(expected.to_string()),
                "{value}"
            );
        }
        assert!(parse_purchase_time("yesterday").is_err());
    }

    #[test]
    fn danish_and_french_headers_map_to_order_fields() {
        let headers: Vec<String> = [
            "Ordrenummer",
            "Kunde",
            "Købsdato",
            "Type de billet",
            "Række",
            "Siège",
            "Prix",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect();
        let map = ColumnMap::from_headers(&headers, FIELDS).ok();
        let column = |field| map.as_ref().and_then(|m| m.column(field));
        assert_eq!(column("orderId"), Some(0));
        assert_eq!(column("customerId"), Some(1));
        assert_eq!(column("createdAt"), Some(2));
        assert_eq!(column("ticketTypeId"), Some(3));
        assert_eq!(column("rowName"), Some(4));
        assert_eq!(column("seatLabel"), Some(5));
        assert_eq!(column("price"), Some(6));
    }
}
