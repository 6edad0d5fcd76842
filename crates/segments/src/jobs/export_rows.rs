//! The rows of a segment export, the pure part: a customer record (with its tags, granted
//! permissions and sales) in, the cells of its row out. No I/O, so the 1,000,000-row test and
//! the benchmark drive exactly the code the job runs.
//!
//! Two kinds (seed 002, "Export"):
//! - **all customer data**: every field the customer import reads, under the import's own
//!   header names ([`fullhouse_ticketing::import::customers::FIELDS`]), tags and permissions as
//!   `|`-separated lists, yes/no in the reader's language — so the file imports back as the
//!   same customers. A field added to the import and not here fails a test.
//! - **customer list**: name, email, phone, city and what they bought: tickets, events, orders,
//!   revenue (the organization's currency, a plain decimal with the reader's decimal mark) and
//!   the latest purchase date in the organization's zone.
//!
//! Formulas are neutralized by the [`fullhouse_core::tabular::TableWriter`] every row goes
//! through; the import undoes it (`'+45 …` reads back as `+45 …`).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fullhouse_ticketing::import::customers::FIELDS;
use fullhouse_ticketing::service::facts::SaleFacts;
use fullhouse_ticketing::store::customers;
use fullhouse_web::Lang;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which file an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// Every customer field, as the customer import reads it.
    Customers,
    /// Name, contact and purchase figures.
    CustomerList,
}

impl ExportKind {
    /// The kind in a file name.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::CustomerList => "customer-list",
        }
    }

    /// The locale key of the kind's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::Customers => "segments-export-kind-customers",
            Self::CustomerList => "segments-export-kind-customer-list",
        }
    }
}

/// How cells are spelled for whoever asked for the file.
#[derive(Debug, Clone)]
pub struct Conventions {
    pub lang: Lang,
    /// The organization's currency (ISO 4217), named in the revenue header.
    pub currency: String,
    /// The organization's zone: a purchase's date is the day it was where the organization is.
    pub zone: Tz,
}

impl Conventions {
    /// CSV's separator: a Danish or French spreadsheet program reads `;` (the comma is their
    /// decimal mark), an English one `,`.
    pub fn delimiter(&self) -> u8 {
        csv_delimiter(self.lang)
    }

    fn decimal_mark(&self) -> char {
        match self.lang {
            Lang::En => '.',
            Lang::Da | Lang::Fr => ',',
        }
    }

    /// Yes and no in words the customer import reads back (it reads all three languages).
    fn yes_no(&self, value: bool) -> &'static str {
        match (self.lang, value) {
            (Lang::En, true) => "yes",
            (Lang::En, false) => "no",
            (Lang::Da, true) => "ja",
            (Lang::Da, false) => "nej",
            (Lang::Fr, true) => "oui",
            (Lang::Fr, false) => "non",
        }
    }
}

/// The CSV separator for a reader of `lang`.
pub fn csv_delimiter(lang: Lang) -> u8 {
    fullhouse_core::tabular::csv_separator(lang.code())
}

/// A column of the "all customer data" file: one per import field but the full name (the file
/// has the first and last names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    ExternalId,
    FirstName,
    LastName,
    Email,
    Phone,
    Company,
    Title,
    Gender,
    BirthDate,
    AddressLine,
    PostalCode,
    City,
    Country,
    Latitude,
    Longitude,
    Language,
    Subscriber,
    Tags,
    Permissions,
}

impl Field {
    fn of(name: &str) -> Option<Field> {
        use Field::*;
        Some(match name {
            "external_id" => ExternalId,
            "first_name" => FirstName,
            "last_name" => LastName,
            "email" => Email,
            "phone" => Phone,
            "company" => Company,
            "title" => Title,
            "gender" => Gender,
            "birth_date" => BirthDate,
            "address_line" => AddressLine,
            "postal_code" => PostalCode,
            "city" => City,
            "country" => Country,
            "latitude" => Latitude,
            "longitude" => Longitude,
            "language" => Language,
            "subscriber" => Subscriber,
            "tags" => Tags,
            "permissions" => Permissions,
            _ => return None,
        })
    }
}

/// The import field an export leaves out: the first and last names are there.
const NOT_EXPORTED: &str = "full_name";

/// What a customer bought: valid tickets of paid orders.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Purchases {
    pub tickets: u64,
    pub events: u64,
    pub orders: u64,
    pub revenue_minor: i64,
    pub latest: Option<DateTime<Utc>>,
}

impl Purchases {
    /// The figures of one customer's sales.
    pub fn of(sales: &[&SaleFacts]) -> Purchases {
        let mut events: Vec<&str> = sales.iter().map(|s| s.event_id.as_str()).collect();
        events.sort_unstable();
        events.dedup();
        let mut orders: Vec<&str> = sales.iter().map(|s| s.order_id.as_str()).collect();
        orders.sort_unstable();
        orders.dedup();
        Purchases {
            tickets: sales.len() as u64,
            events: events.len() as u64,
            orders: orders.len() as u64,
            revenue_minor: sales.iter().map(|s| s.price_minor).sum(),
            latest: sales.iter().map(|s| s.ordered_at).max(),
        }
    }
}

/// One customer as an export reads it.
pub struct CustomerLine<'a> {
    pub customer: &'a customers::Model,
    pub tags: &'a [&'a str],
    pub permissions: &'a [&'a str],
    pub purchases: &'a Purchases,
}

/// Writes rows of one kind, reusing its cells' buffers from row to row (a million rows cost no
/// allocation each).
pub struct RowFormat {
    kind: ExportKind,
    conventions: Conventions,
    fields: Vec<Field>,
    cells: Vec<String>,
}

impl RowFormat {
    pub fn new(kind: ExportKind, conventions: Conventions) -> RowFormat {
        let fields: Vec<Field> = FIELDS.iter().filter_map(|f| Field::of(f.name)).collect();
        let columns = match kind {
            ExportKind::Customers => fields.len(),
            ExportKind::CustomerList => LIST_COLUMNS.len(),
        };
        RowFormat {
            kind,
            conventions,
            fields,
            cells: vec![String::new(); columns],
        }
    }

    pub fn delimiter(&self) -> u8 {
        self.conventions.delimiter()
    }

    /// The header row: the import's field names, or the list's headers in the reader's language.
    pub fn headers(&self) -> Vec<String> {
        match self.kind {
            ExportKind::Customers => FIELDS
                .iter()
                .filter(|f| f.name != NOT_EXPORTED)
                .map(|f| f.name.to_string())
                .collect(),
            ExportKind::CustomerList => LIST_COLUMNS
                .iter()
                .map(|key| {
                    self.conventions
                        .lang
                        .t1(key, "currency", &self.conventions.currency)
                })
                .collect(),
        }
    }

    /// The cells of one customer's row.
    pub fn row(&mut self, line: &CustomerLine<'_>) -> &[String] {
        for cell in &mut self.cells {
            cell.clear();
        }
        match self.kind {
            ExportKind::Customers => {
                for (cell, field) in self.cells.iter_mut().zip(&self.fields) {
                    customer_field(cell, *field, line, &self.conventions);
                }
            }
            ExportKind::CustomerList => list_row(&mut self.cells, line, &self.conventions),
        }
        &self.cells
    }
}

/// The customer list's headers (locale keys), in order.
const LIST_COLUMNS: [&str; 9] = [
    "segments-export-col-name",
    "segments-export-col-email",
    "segments-export-col-phone",
    "segments-export-col-city",
    "segments-export-col-tickets",
    "segments-export-col-events",
    "segments-export-col-orders",
    "segments-export-col-revenue",
    "segments-export-col-latest",
];

fn text(cell: &mut String, value: &Option<String>) {
    if let Some(value) = value {
        cell.push_str(value);
    }
}

fn customer_field(cell: &mut String, field: Field, line: &CustomerLine<'_>, c: &Conventions) {
    let customer = line.customer;
    match field {
        Field::ExternalId => text(cell, &customer.external_id),
        Field::FirstName => text(cell, &customer.first_name),
        Field::LastName => text(cell, &customer.last_name),
        Field::Email => text(cell, &customer.email),
        Field::Phone => text(cell, &customer.phone),
        Field::Company => text(cell, &customer.company),
        Field::Title => text(cell, &customer.title),
        Field::Gender => text(cell, &customer.gender),
        Field::BirthDate => {
            if let Some(date) = customer.birth_date {
                let _ = write!(cell, "{}", date.format("%Y-%m-%d"));
            }
        }
        Field::AddressLine => text(cell, &customer.address_line),
        Field::PostalCode => text(cell, &customer.postal_code),
        Field::City => text(cell, &customer.city),
        Field::Country => text(cell, &customer.country),
        // Rust's shortest round-trip form with a `.`, which the import reads in every language.
        Field::Latitude => {
            if let Some(value) = customer.latitude {
                let _ = write!(cell, "{value}");
            }
        }
        Field::Longitude => {
            if let Some(value) = customer.longitude {
                let _ = write!(cell, "{value}");
            }
        }
        Field::Language => text(cell, &customer.language),
        Field::Subscriber => cell.push_str(c.yes_no(customer.subscriber)),
        Field::Tags => join(cell, line.tags),
        Field::Permissions => join(cell, line.permissions),
    }
}

/// A list cell as the import splits it.
fn join(cell: &mut String, items: &[&str]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            cell.push('|');
        }
        cell.push_str(item);
    }
}

fn list_row(cells: &mut [String], line: &CustomerLine<'_>, c: &Conventions) {
    let customer = line.customer;
    let p = line.purchases;
    if let [name, email, phone, city, tickets, events, orders, revenue, latest] = cells {
        for part in [&customer.first_name, &customer.last_name]
            .into_iter()
            .flatten()
        {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(part);
        }
        text(email, &customer.email);
        text(phone, &customer.phone);
        text(city, &customer.city);
        let _ = write!(tickets, "{}", p.tickets);
        let _ = write!(events, "{}", p.events);
        let _ = write!(orders, "{}", p.orders);
        decimal(revenue, p.revenue_minor, c.decimal_mark());
        if let Some(at) = p.latest {
            let _ = write!(latest, "{}", at.with_timezone(&c.zone).format("%Y-%m-%d"));
        }
    }
}

/// Minor units as a plain decimal: `1250.5` kroner is `1250.50` (or `1250,50`), no grouping
/// and no currency sign, so a spreadsheet reads a number.
fn decimal(cell: &mut String, minor: i64, mark: char) {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let _ = write!(cell, "{sign}{}{mark}{:02}", abs / 100, abs % 100);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn conventions(lang: Lang) -> Conventions {
        Conventions {
            lang,
            currency: "DKK".into(),
            zone: Tz::Europe__Copenhagen,
        }
    }

    pub(crate) fn customer(id: &str) -> customers::Model {
        let at = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        customers::Model {
            organization_id: "org_1".into(),
            id: id.into(),
            external_id: Some("K-1".into()),
            first_name: Some("Søren".into()),
            last_name: Some("Ærø".into()),
            email: Some("soren@example.dk".into()),
            phone: Some("+45 12 34 56 78".into()),
            company: None,
            title: None,
            gender: Some("male".into()),
            birth_date: NaiveDate::from_ymd_opt(1980, 5, 17),
            address_line: Some("Gade 1".into()),
            postal_code: Some("8000".into()),
            city: Some("Aarhus".into()),
            country: Some("DK".into()),
            latitude: Some(56.15),
            longitude: Some(-4.5),
            language: Some("da".into()),
            subscriber: true,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn every_field_the_import_reads_is_exported_but_the_full_name() {
        let unknown: Vec<&str> = FIELDS
            .iter()
            .map(|f| f.name)
            .filter(|name| *name != NOT_EXPORTED && Field::of(name).is_none())
            .collect();
        assert_eq!(unknown, Vec::<&str>::new());
        let format = RowFormat::new(ExportKind::Customers, conventions(Lang::En));
        assert_eq!(format.headers().len(), FIELDS.len() - 1);
    }

    #[test]
    fn a_customer_row_spells_lists_dates_and_yes_no_as_the_import_reads_them() {
        let customer = customer("cus_01J00000000000000000000000");
        let mut format = RowFormat::new(ExportKind::Customers, conventions(Lang::Da));
        let headers = format.headers();
        let row = format
            .row(&CustomerLine {
                customer: &customer,
                tags: &["abo", "vip"],
                permissions: &["newsletter"],
                purchases: &Purchases::default(),
            })
            .to_vec();
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| row.get(i))
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(cell("tags"), "abo|vip");
        assert_eq!(cell("permissions"), "newsletter");
        assert_eq!(cell("subscriber"), "ja");
        assert_eq!(cell("birth_date"), "1980-05-17");
        assert_eq!(cell("longitude"), "-4.5");
        assert_eq!(cell("company"), "");
    }

    #[test]
    fn a_list_row_sums_purchases_in_the_readers_decimal_mark_and_the_orgs_zone() {
        let customer = customer("cus_01J00000000000000000000000");
        let sale = |order: &str, event: &str, price: i64, hour: u32| SaleFacts {
            ticket_id: format!("tkt_{order}{price}"),
            customer_id: customer.id.clone(),
            order_id: order.into(),
            ticket_type_id: "tt_1".into(),
            event_id: event.into(),
            price_minor: price,
            // 23:30 UTC on 31 December is already the new year in Copenhagen.
            ordered_at: Utc
                .with_ymd_and_hms(2025, 12, 31, hour, 30, 0)
                .single()
                .unwrap_or_default(),
            channel: "online".into(),
        };
        let sales = [
            sale("o1", "e1", 12_550, 10),
            sale("o1", "e1", 10_000, 10),
            sale("o2", "e2", 5, 23),
        ];
        let refs: Vec<&SaleFacts> = sales.iter().collect();
        let purchases = Purchases::of(&refs);
        let mut format = RowFormat::new(ExportKind::CustomerList, conventions(Lang::Fr));
        let row = format
            .row(&CustomerLine {
                customer: &customer,
                tags: &[],
                permissions: &[],
                purchases: &purchases,
            })
            .to_vec();
        assert_eq!(
            row,
            [
                "Søren Ærø",
                "soren@example.dk",
                "+45 12 34 56 78",
                "Aarhus",
                "3",
                "2",
                "2",
                "225,55",
                "2026-01-01"
            ]
        );
        assert_eq!(format.delimiter(), b';');
        assert_eq!(csv_delimiter(Lang::En), b',');
    }
}

#[cfg(test)]
mod locale_tests {
    use super::*;

    #[test]
    fn the_list_headers_are_in_the_readers_language() {
        fullhouse_web::i18n::install(crate::pages::LOCALES).expect("installed");
        let conventions = Conventions {
            lang: Lang::Da,
            currency: "EUR".into(),
            zone: Tz::Europe__Copenhagen,
        };
        let headers = RowFormat::new(ExportKind::CustomerList, conventions).headers();
        assert_eq!(headers.first().map(String::as_str), Some("Navn"));
        assert_eq!(headers.get(7).map(String::as_str), Some("Omsætning (EUR)"));
    }
}
