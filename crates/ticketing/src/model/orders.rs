//! Orders and their tickets, the inputs that place them (one order, a bulk of historical orders,
//! an external platform's webhook) and the rules that need no database.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ids::*;

/// Where an order was sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Online,
    BoxOffice,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::BoxOffice => "box_office",
        }
    }

    /// Reads a stored value; anything unknown was written by a bug, so it reads as online.
    pub fn from_db(value: &str) -> Self {
        if value == "box_office" {
            Self::BoxOffice
        } else {
            Self::Online
        }
    }

    /// Reads what an organizer typed in a spreadsheet, in English, Danish or French.
    pub fn parse_loose(value: &str) -> Option<Self> {
        match fullhouse_core::tabular::normalize_header(value).as_str() {
            "online" | "web" | "internet" | "enligne" | "webshop" => Some(Self::Online),
            "boxoffice" | "billetkontor" | "kasse" | "billetsalg" | "guichet" | "billetterie" => {
                Some(Self::BoxOffice)
            }
            _ => None,
        }
    }
}

/// Where an order stands. An order sold online waits for its payment while it holds its seats,
/// places and code uses; everything else is paid when it is placed. The three end states say why
/// an order gave everything back, because organizers read them differently: nobody paid
/// (`expired`), it was called off before or without money changing hands (`cancelled`), or the
/// money went back (`refunded`).
///
/// Stored as the snake_case text of each value (`orders.status`). Orders written before payment
/// had a state of their own were `placed`: ticketing_0004 made them `paid`, and checkout_0005
/// gave checkout's orders checkout's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed online and held until its payment arrives or the hold runs out.
    AwaitingPayment,
    /// Paid (an online payment, the box office counter, or a sale recorded as history).
    /// `placed`, the name before payment had a state, is read as `paid`.
    #[serde(alias = "placed")]
    Paid,
    /// The hold ran out unpaid: tickets cancelled, everything given back.
    Expired,
    /// Called off (unpaid, or by an organizer in ticketing): tickets cancelled, everything
    /// given back.
    Cancelled,
    /// Cancelled after payment and the money returned: tickets cancelled, everything given back.
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        Self::AwaitingPayment,
        Self::Paid,
        Self::Expired,
        Self::Cancelled,
        Self::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingPayment => "awaiting_payment",
            Self::Paid => "paid",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    /// Reads a stored value. `placed` is the name paid orders had before (see above); anything
    /// unknown was written by a bug and reads as paid, the state nothing acts on.
    pub fn from_db(value: &str) -> Self {
        match value {
            "awaiting_payment" => Self::AwaitingPayment,
            "expired" => Self::Expired,
            "cancelled" => Self::Cancelled,
            "refunded" => Self::Refunded,
            _ => Self::Paid,
        }
    }

    /// Whether the order holds its tickets (valid), seats and places: awaiting payment or paid.
    pub fn is_open(self) -> bool {
        matches!(self, Self::AwaitingPayment | Self::Paid)
    }

    /// The states an order may be released from into `self` (an end state), or none when
    /// `self` is not an end state. A hold can only run out unpaid and only paid money can go
    /// back; either kind of order can be called off.
    pub fn released_from(self) -> &'static [OrderStatus] {
        match self {
            Self::Expired => &[Self::AwaitingPayment],
            Self::Refunded => &[Self::Paid],
            Self::Cancelled => &[Self::AwaitingPayment, Self::Paid],
            Self::AwaitingPayment | Self::Paid => &[],
        }
    }
}

/// How an order reached Fullhouse: the dashboard, the API, an import, an external platform's
/// webhook, or the demo generator. Kept so that reports can tell live sales from ingested history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderSource {
    Fullhouse,
    Api,
    Import,
    Webhook,
    Demo,
}

impl OrderSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fullhouse => "fullhouse",
            Self::Api => "api",
            Self::Import => "import",
            Self::Webhook => "webhook",
            Self::Demo => "demo",
        }
    }

    pub fn from_db(value: &str) -> Self {
        match value {
            "api" => Self::Api,
            "import" => Self::Import,
            "webhook" => Self::Webhook,
            "demo" => Self::Demo,
            _ => Self::Fullhouse,
        }
    }

    /// Imports, webhooks and demo data record sales that already happened (here in the past, or
    /// on another platform), possibly for events that have since ended or been cancelled; live
    /// sales need an event still on sale. Capacity and seats are checked for all of them.
    pub fn is_history(self) -> bool {
        matches!(self, Self::Import | Self::Webhook | Self::Demo)
    }
}

/// How the ticket reaches the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum DeliveryType {
    #[default]
    Virtual,
    Hard,
}

impl DeliveryType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Virtual => "VIRTUAL",
            Self::Hard => "HARD",
        }
    }

    pub fn from_db(value: &str) -> Self {
        if value == "HARD" {
            Self::Hard
        } else {
            Self::Virtual
        }
    }

    /// Reads a spreadsheet cell: `VIRTUAL`/`HARD` in any case.
    pub fn parse_loose(value: &str) -> Option<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "VIRTUAL" => Some(Self::Virtual),
            "HARD" => Some(Self::Hard),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Valid,
    Cancelled,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_db(value: &str) -> Self {
        if value == "cancelled" {
            Self::Cancelled
        } else {
            Self::Valid
        }
    }
}

/// An order with its tickets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    pub id: OrderId,
    /// The order's id on the platform it came from; unique per organization.
    pub external_id: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub channel: Channel,
    pub status: OrderStatus,
    /// The sum of the tickets' prices, in minor units.
    pub total_minor: i64,
    pub currency: String,
    pub source: OrderSource,
    /// When the order was bought (in the past for imported history).
    pub created_at: DateTime<Utc>,
    /// When it gave its tickets' places back (expired, cancelled or refunded).
    pub cancelled_at: Option<DateTime<Utc>>,
    pub tickets: Vec<Ticket>,
    /// The referral code the order was placed through, if any.
    pub referral_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ticket {
    pub id: TicketId,
    pub order_id: OrderId,
    pub event_id: EventId,
    pub ticket_type_id: TicketTypeId,
    pub customer_id: Option<CustomerId>,
    pub seat: Option<TicketSeat>,
    pub ga_area: Option<TicketGaArea>,
    pub price_minor: i64,
    pub currency: String,
    pub barcode: String,
    pub delivery_type: DeliveryType,
    pub status: TicketStatus,
}

/// The seat a ticket is for, by id and by the names organizers use.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketSeat {
    pub id: SeatId,
    pub section_name: String,
    pub group_name: String,
    pub row_name: String,
    pub seat_label: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketGaArea {
    pub id: GaAreaId,
    pub name: String,
}

/// An order to place. Every ticket is validated and booked in one transaction: all or nothing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub customer_id: Option<CustomerId>,
    pub channel: Channel,
    /// The order's id on another platform. Placing an order whose external id is already known
    /// returns the existing order and books nothing.
    pub external_id: Option<String>,
    /// The purchase time, for historical orders; defaults to now.
    pub created_at: Option<DateTime<Utc>>,
    pub tickets: Vec<NewTicket>,
    /// The referral code the buyer came through (a tracking link), kept on the order so that
    /// the referral programme can attribute it without a cookie. At most 32 characters.
    #[serde(default)]
    pub referral_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    pub ticket_type_id: TicketTypeId,
    /// When given, must be the ticket type's event (a check that the right ids were sent).
    pub event_id: Option<EventId>,
    /// The seat by id, or by its names in `seat`; not both.
    pub seat_id: Option<SeatId>,
    pub seat: Option<SeatNames>,
    /// A general-admission area of the event's venue, by name.
    pub ga_name: Option<String>,
    /// The price paid, in minor units; defaults to the ticket type's price.
    pub price_minor: Option<i64>,
    /// Defaults to `VIRTUAL`.
    pub delivery_type: Option<DeliveryType>,
    /// Defaults to a generated, unguessable code.
    pub barcode: Option<String>,
}

/// A seat addressed the way organizers type it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatNames {
    pub section_name: String,
    pub group_name: String,
    pub row_name: String,
    pub seat_label: String,
}

impl SeatNames {
    /// The same names, trimmed, so that a stray space in a spreadsheet still finds the seat.
    pub fn trimmed(&self) -> SeatNames {
        SeatNames {
            section_name: self.section_name.trim().to_string(),
            group_name: self.group_name.trim().to_string(),
            row_name: self.row_name.trim().to_string(),
            seat_label: self.seat_label.trim().to_string(),
        }
    }
}

/// How a seat is named in messages: `Parterre / A / row 5 / seat 12`.
pub fn describe_seat(section: &str, group: &str, row: &str, label: &str) -> String {
    format!("{section} / {group} / row {row} / seat {label}")
}

/// Historical orders to ingest at once.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkOrders {
    /// Up to 5,000 orders, each with an `external_id`.
    pub orders: Vec<NewOrder>,
}

/// What an ingest did: orders created, and orders skipped because their external id was known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct IngestSummary {
    pub created: u64,
    pub skipped: u64,
}

/// Filters of the order list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    /// Only this customer's orders.
    pub customer_id: Option<CustomerId>,
    /// Only orders with a ticket for this event.
    pub event_id: Option<EventId>,
}

/// An order pushed by an external ticketing platform to `POST /webhooks/orders`.
///
/// The customer is matched by `external_id`, then by email, and created when unknown.
/// Redelivering the same order (same `id`) returns it again and books nothing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookOrder {
    /// The order's id on the external platform.
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub channel: Channel,
    pub customer: WebhookCustomer,
    pub tickets: Vec<WebhookTicket>,
    /// The referral code the external platform recorded for the sale (its tracking link), so
    /// that sales made elsewhere count for the buyer who brought them.
    #[serde(default)]
    pub referral_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCustomer {
    /// The customer's id on the external platform.
    pub external_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookTicket {
    pub event_id: EventId,
    pub ticket_type_id: TicketTypeId,
    pub seat: Option<SeatNames>,
    pub ga_name: Option<String>,
    pub price_minor: i64,
    pub barcode: Option<String>,
    pub delivery_type: Option<DeliveryType>,
}

impl NewTicket {
    /// A ticket of `ticket_type_id` with everything else left to its default.
    pub fn of_type(ticket_type_id: TicketTypeId) -> Self {
        Self {
            ticket_type_id,
            event_id: None,
            seat_id: None,
            seat: None,
            ga_name: None,
            price_minor: None,
            delivery_type: None,
            barcode: None,
        }
    }
}

impl WebhookTicket {
    pub fn into_new_ticket(self) -> NewTicket {
        NewTicket {
            ticket_type_id: self.ticket_type_id,
            event_id: Some(self.event_id),
            seat_id: None,
            seat: self.seat,
            ga_name: self.ga_name,
            price_minor: Some(self.price_minor),
            delivery_type: self.delivery_type,
            barcode: self.barcode,
        }
    }
}

/// An order placed, or found again by its external id (then nothing was booked).
#[derive(Debug, Clone)]
pub struct Placed {
    pub order: Order,
    /// False when the external id was already known and the existing order is returned.
    pub created: bool,
}

/// The most orders one bulk request may carry.
pub const MAX_BULK_ORDERS: usize = 5_000;
/// The most tickets one order may carry.
pub const MAX_TICKETS_PER_ORDER: usize = 5_000;
/// Barcodes we generate: long enough that nobody guesses a valid ticket.
pub const GENERATED_BARCODE_LENGTH: usize = 16;

/// Checks an external id: trimmed, not empty, at most 100 characters. Returns the reason when
/// it is not acceptable, so callers can attach it to their own field or cell.
pub fn external_id(value: &str) -> std::result::Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("cannot be empty".into());
    }
    if trimmed.chars().count() > 100 {
        return Err("must be at most 100 characters".into());
    }
    Ok(trimmed.to_string())
}

/// The longest referral code an order keeps.
pub const REFERRAL_CODE_MAX: usize = 32;

/// A referral code as an order keeps it: letters, digits, `-` and `_`, at most
/// [`REFERRAL_CODE_MAX`] characters; blank means none. The programme decides whether the code
/// names anyone; the order only remembers what the buyer came with.
pub fn referral_code(value: &str) -> std::result::Result<Option<String>, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > REFERRAL_CODE_MAX {
        return Err(format!("must be at most {REFERRAL_CODE_MAX} characters"));
    }
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("may hold only letters, digits, '-' and '_'".into());
    }
    Ok(Some(trimmed.to_string()))
}

/// A barcode someone else issued: printable, no spaces, at most 100 characters.
pub fn supplied_barcode(value: &str) -> std::result::Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("cannot be empty".into());
    }
    if trimmed.chars().count() > 100 {
        return Err("must be at most 100 characters".into());
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    Ok(trimmed.to_string())
}

/// A fresh barcode: 16 characters from 32 unambiguous letters and digits (80 random bits).
pub fn generate_barcode() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // The thread's CSPRNG (seeded from the OS, reseeded as it goes): as unguessable as asking the
    // OS for every character, without a system call per character.
    let mut rng = rand::thread_rng();
    (0..GENERATED_BARCODE_LENGTH)
        .map(|_| {
            let index = rng.gen_range(0..ALPHABET.len());
            ALPHABET.get(index).map_or('A', |b| char::from(*b))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_barcodes_are_long_alphanumeric_and_distinct() {
        let a = generate_barcode();
        let b = generate_barcode();
        assert_eq!(a.len(), GENERATED_BARCODE_LENGTH);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn channels_are_read_in_three_languages() {
        assert_eq!(Channel::parse_loose("Box office"), Some(Channel::BoxOffice));
        assert_eq!(
            Channel::parse_loose("billetkontor"),
            Some(Channel::BoxOffice)
        );
        assert_eq!(Channel::parse_loose("En ligne"), Some(Channel::Online));
        assert_eq!(Channel::parse_loose("fax"), None);
    }

    #[test]
    fn a_supplied_barcode_with_spaces_is_refused() {
        assert!(supplied_barcode("AB 12").is_err());
        assert_eq!(supplied_barcode(" AB12 ").ok().as_deref(), Some("AB12"));
    }
}
