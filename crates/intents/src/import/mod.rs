//! Importing intents from a spreadsheet, on core's import wizard ([`fullhouse_core::import`]):
//! one row is one ticket. What is the intents' own is here: the fields ([`FIELDS`]), the check
//! of a row against the catalogue, the seats and the capacity left (`check`), and the booking
//! (`write`): many orders placed at once through checkout, then the intents, their history and
//! their row keys recorded with multi-row inserts.
//!
//! The import is partial: good rows are booked, bad ones go to the rejected-rows file with the
//! reason in the rightmost column — also the rows refused only when booked (a seat a sale took
//! since the check, capacity another import used). The imported-rows file (the "successful
//! records") gives each row its intent id, payment link and outcome.
//!
//! **Booking nothing twice.** Every row has a key ([`crate::model::row_key`]) over the import's
//! source, the customer, the event, the ticket type and the seat (or the area and the row's
//! occurrence among identical standing rows). A row whose key is stored in `intent_row_keys` is
//! not booked again: it is reported "already imported" with its intent, in the successful file.
//! Keys are claimed *before* the orders are placed (an insert that skips keys another import
//! claimed first), so two imports of overlapping files book each row once.
//!
//! **The crash window.** Between placing a batch's orders and recording its intents (one
//! transaction) the job can die: the orders exist — held on the strategy's terms, a pay-by-link
//! hold ending at its deadline and giving its places back — and their intents do not. The keys
//! were claimed before placing, so running the file (or the job) again books none of those rows
//! twice: they come out "already imported (its intent is not recorded)" in the successful file,
//! with the intent id the key names, for the organizer to look at that customer's orders. A
//! batch whose placing fails as a whole (a database fault) gives its keys back before the job
//! fails, so only a crash of the process leaves such rows.
//!
//! A standing row's key counts identical rows *of its file*: a corrected rejected-rows file
//! that holds the second of two identical standing rows of one customer names it as the first,
//! which is booked already; give such a file its own `source`.

mod check;
mod write;

use fullhouse_core::import::{Batches, ImportMode, ImportTarget};
use fullhouse_core::tabular::FieldSpec;
use fullhouse_core::{Error, Msg, OrgId, Reason, Result};
use fullhouse_ticketing::model::orders::SeatNames;
use fullhouse_ticketing::{CustomerId, EventId, ShopId, TicketTypeId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use check::IntentCheck;

use crate::model::{Delivery, Strategy};
use crate::Intents;

/// The job kind of an import.
pub const IMPORT_JOB: &str = "intents.import";
/// The row keys' source when the organizer names none: one shared source, so that any two
/// files overlap and no ticket is booked twice whichever file it comes from.
pub const DEFAULT_SOURCE: &str = "import";
/// Rows booked per batch: as many orders are placed at once (checkout groups them into a few
/// transactions), then recorded with one multi-row insert per table.
pub const BATCH_ROWS: usize = 2_000;

/// The headers of the cells the successful-records file adds to each row.
pub const RESULT_COLUMNS: &[&str] = &["intentId", "paymentLink", "outcome"];

/// The columns an intents file may have, with the headers that map to them in English, Danish
/// and French (case, accents and punctuation ignored). "Row" alone is no alias of `rowName`:
/// a rejected-rows file carries a `Row` column (the row number) that must not map itself when
/// the corrected file is imported again.
pub const FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "customerId",
        aliases: &[
            "customer id",
            "kunde id",
            "kundenummer",
            "id client",
            "numero client",
        ],
        required: false,
    },
    FieldSpec {
        name: "customerEmail",
        aliases: &[
            "email",
            "e-mail",
            "customer email",
            "mail",
            "kunde email",
            "e-mailadresse",
            "courriel",
            "adresse e-mail",
            "email client",
        ],
        required: false,
    },
    FieldSpec {
        name: "firstName",
        aliases: &["first name", "given name", "fornavn", "prénom"],
        required: false,
    },
    FieldSpec {
        name: "lastName",
        aliases: &[
            "last name",
            "surname",
            "family name",
            "efternavn",
            "nom",
            "nom de famille",
        ],
        required: false,
    },
    FieldSpec {
        name: "company",
        aliases: &[
            "organisation",
            "organization",
            "firma",
            "virksomhed",
            "entreprise",
            "société",
        ],
        required: false,
    },
    FieldSpec {
        name: "eventId",
        aliases: &[
            "event id",
            "event",
            "begivenhed",
            "forestilling",
            "événement",
            "séance",
        ],
        required: true,
    },
    FieldSpec {
        name: "shopId",
        aliases: &[
            "shop id",
            "shop",
            "butik",
            "butik id",
            "boutique",
            "id boutique",
        ],
        required: false,
    },
    FieldSpec {
        name: "ticketTypeId",
        aliases: &[
            "ticket type id",
            "ticket type",
            "billettype",
            "type de billet",
            "tarif",
        ],
        required: true,
    },
    FieldSpec {
        name: "deliveryType",
        aliases: &[
            "delivery type",
            "delivery",
            "levering",
            "leveringstype",
            "livraison",
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
            "placement libre",
        ],
        required: false,
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
        aliases: &["row name", "seat row", "række", "rækkenavn", "rang"],
        required: false,
    },
    FieldSpec {
        name: "seatName",
        aliases: &[
            "seat",
            "seat label",
            "seat number",
            "sæde",
            "plads",
            "siège",
        ],
        required: false,
    },
];

/// The four columns that name a seat.
pub(crate) const SEAT_FIELDS: [&str; 4] = ["sectionName", "groupName", "rowName", "seatName"];

/// The organizer's choices for the whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    /// Check every row and report what would be booked; book nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The strategy of every intent of the file; left out: each event's default.
    #[serde(default)]
    pub strategy: Option<Strategy>,
    /// Mail each intent's booking (with its payment link) to its customer.
    #[serde(default)]
    pub send_mail: bool,
    /// One intent (and one mail) per customer and event, grouping that customer's rows of the
    /// event; by default every row is an intent of its own. Rows are grouped within each batch
    /// of [`BATCH_ROWS`] rows, and up to the most tickets one intent holds.
    #[serde(default)]
    pub group_by_customer: bool,
    /// The row keys' source (see [`crate::model::row_key`]); left out: [`DEFAULT_SOURCE`].
    #[serde(default)]
    pub source: Option<String>,
}

impl ImportOptions {
    pub fn source(&self) -> String {
        self.source
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_SOURCE)
            .to_string()
    }
}

/// Who a row is for: a customer by id, or by email (found, or made when booked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowCustomer {
    Id(CustomerId),
    Email {
        email: String,
        first_name: Option<String>,
        last_name: Option<String>,
    },
}

/// Where a row's ticket is: a named seat, or general admission (in the named area, or the
/// ticket type's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Seat(SeatNames),
    Standing(Option<String>),
}

impl Place {
    /// The place as the row key names it.
    pub fn key(&self) -> String {
        match self {
            Self::Seat(s) => format!(
                "seat:{}/{}/{}/{}",
                s.section_name, s.group_name, s.row_name, s.seat_label
            ),
            Self::Standing(area) => format!("ga:{}", area.as_deref().unwrap_or_default()),
        }
    }
}

/// One checked row, to book.
#[derive(Debug, Clone)]
pub struct RowTicket {
    pub customer: RowCustomer,
    pub event_id: EventId,
    pub shop_id: Option<ShopId>,
    pub ticket_type_id: TicketTypeId,
    pub delivery: Delivery,
    pub company: Option<String>,
    pub place: Place,
    /// Among identical standing rows of the file, which one this is (see `row_key`).
    pub occurrence: usize,
}

/// What the second pass hands the writer for a row.
#[derive(Debug, Clone)]
pub enum RowValue {
    Book(Box<RowTicket>),
    /// Its key is stored: booked by an earlier import, as this intent.
    Already(String),
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Booked {
    /// Rows booked now (a dry run: rows that would be).
    pub tickets: u64,
    pub intents: u64,
    /// Rows skipped as imported before.
    pub already: u64,
    pub dry_run: bool,
}

/// An import of intents into one organization.
pub struct IntentImport {
    pub(crate) intents: Intents,
    pub(crate) org: OrgId,
    pub(crate) options: ImportOptions,
    /// Who made the intents (the uploader's email, or the API token's name).
    pub(crate) actor: String,
    /// The job running it: the intents' `import_id` and the keys' batch.
    pub(crate) import_id: Option<String>,
}

impl IntentImport {
    pub fn new(
        intents: Intents,
        org: OrgId,
        options: ImportOptions,
        actor: String,
        import_id: Option<String>,
    ) -> Self {
        Self {
            intents,
            org,
            options,
            actor,
            import_id,
        }
    }
}

#[async_trait::async_trait]
impl ImportTarget for IntentImport {
    type Value = RowValue;
    type Check = IntentCheck;
    type Written = Booked;

    fn fields(&self) -> &'static [FieldSpec] {
        FIELDS
    }

    fn mode(&self) -> ImportMode {
        ImportMode::Partial
    }

    fn batch_rows(&self) -> usize {
        BATCH_ROWS
    }

    fn imported_columns(&self) -> &'static [&'static str] {
        RESULT_COLUMNS
    }

    /// Checkout commits each group of orders itself; nothing is held across batches.
    fn holds_write_transaction(&self) -> bool {
        false
    }

    async fn check(&self) -> Result<IntentCheck> {
        if let Some(source) = &self.options.source {
            if source.chars().count() > 200 {
                return Err(Error::invalid("source", "at most 200 characters"));
            }
        }
        Ok(IntentCheck::new(
            self.intents.db().clone(),
            self.org.clone(),
            self.options.source(),
            self.intents.now(),
        ))
    }

    async fn write(&self, rows: Batches<'_, RowValue>) -> Result<Booked> {
        write::book(self, rows).await
    }

    async fn finished(&self, booked: &Booked, _rows: u64) -> Result<Reason> {
        let message = if booked.dry_run {
            Msg::new("engine-intents-dry-run").num("tickets", booked.tickets)
        } else {
            Msg::new("engine-intents-booked")
                .num("tickets", booked.tickets)
                .num("intents", booked.intents)
        };
        Ok(if booked.already > 0 {
            Msg::new("engine-intents-already-imported")
                .arg("booked", message)
                .num("already", booked.already)
        } else {
            message
        }
        .into())
    }
}
