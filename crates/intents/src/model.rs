//! Purchase intents as types and rules, no I/O: the strategies, how a deadline and a reminder
//! are worked out, which moves an intent's status allows, and the key that makes an import
//! idempotent.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use fullhouse_checkout::{HoldTerm, SaleTerms};
use fullhouse_core::define_id;
use fullhouse_ticketing::model::orders::SeatNames;
use fullhouse_ticketing::{CustomerId, EventId, OrderId, SeatId, ShopId, TicketTypeId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

define_id!(
    /// A purchase intent: a booking made for a customer, completed when the customer pays.
    IntentId,
    "int",
    "purchase intent"
);

/// The days a customer has to pay through the link when neither the intent nor its event says.
pub const DEFAULT_PAY_DAYS: u32 = 7;
/// How many days before the deadline the reminder goes out when the event does not say.
pub const DEFAULT_REMIND_DAYS: u32 = 3;
/// No reminder is sent this soon after the intent was made: the booking mail just went out.
pub const REMINDER_QUIET_HOURS: i64 = 2;
/// The longest a payment link may be given, in days.
pub const MAX_PAY_DAYS: u32 = 365;
/// The most tickets one intent holds (checkout's cart limit).
pub const MAX_TICKETS_PER_INTENT: usize = fullhouse_checkout::model::MAX_TICKETS_PER_CART;

/// How an intent is completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Seats and places are held; the customer pays through the link by the deadline, else the
    /// intent expires and everything is given back.
    PayByLink,
    /// Held until the organizer marks it paid (an invoice settled outside Fullhouse) or cancels
    /// it; no online payment.
    Invoice,
    /// Issued at once at price 0; the tickets are sent.
    Complimentary,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [Self::PayByLink, Self::Invoice, Self::Complimentary];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PayByLink => "pay_by_link",
            Self::Invoice => "invoice",
            Self::Complimentary => "complimentary",
        }
    }

    /// A stored value or what a form or a spreadsheet says (English, Danish, French).
    pub fn parse(value: &str) -> Option<Self> {
        match fullhouse_core::tabular::normalize_header(value).as_str() {
            "paybylink" | "link" | "betalingslink" | "betalviaLink" | "betalvialink"
            | "paiementparlien" | "lien" => Some(Self::PayByLink),
            "invoice" | "reserveandinvoice" | "faktura" | "reserverogfakturer" | "facture"
            | "reserveretfacturer" => Some(Self::Invoice),
            "complimentary" | "free" | "gratis" | "fribillet" | "gratuit" | "invitation"
            | "exonere" => Some(Self::Complimentary),
            _ => None,
        }
    }

    /// The locale key of its name on pages and in mails.
    pub fn label_key(self) -> &'static str {
        match self {
            Self::PayByLink => "intent-strategy-pay-by-link",
            Self::Invoice => "intent-strategy-invoice",
            Self::Complimentary => "intent-strategy-complimentary",
        }
    }
}

/// When a pay-by-link intent must be paid: within a number of days, or by a fixed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    Days(u32),
    Until(DateTime<Utc>),
}

impl Deadline {
    /// The deadline of an intent made `now` for an event starting `starts_at`: never after the
    /// event has begun (a link paid after the curtain rose sells nothing). Whole seconds: the
    /// same instant on both backends (PostgreSQL keeps microseconds, SQLite more).
    pub fn pay_by(self, now: DateTime<Utc>, starts_at: DateTime<Utc>) -> DateTime<Utc> {
        let at = match self {
            Self::Days(days) => now + Duration::days(i64::from(days.min(MAX_PAY_DAYS))),
            Self::Until(at) => at,
        };
        at.min(starts_at).trunc_subsecs(0)
    }
}

/// The strategy an event's intents get unless they say otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventDefaults {
    pub strategy: Strategy,
    /// Days to pay through the link.
    pub pay_days: u32,
    /// Days before the deadline the reminder is sent (0: no reminder).
    pub remind_days: u32,
}

impl Default for EventDefaults {
    fn default() -> Self {
        Self {
            strategy: Strategy::PayByLink,
            pay_days: DEFAULT_PAY_DAYS,
            remind_days: DEFAULT_REMIND_DAYS,
        }
    }
}

/// An intent's strategy as chosen: the event's default, or an explicit one with its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct StrategyChoice {
    /// `None`: the event's default.
    pub strategy: Option<Strategy>,
    /// For pay by link: `None` is the event's number of days.
    pub deadline: Option<Deadline>,
}

/// The strategy and deadline an intent gets, once its event's defaults are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub strategy: Strategy,
    /// The payment deadline (pay by link only).
    pub pay_by: Option<DateTime<Utc>>,
    pub remind_days: u32,
}

impl Terms {
    pub fn resolve(
        choice: StrategyChoice,
        defaults: EventDefaults,
        now: DateTime<Utc>,
        starts_at: DateTime<Utc>,
    ) -> Self {
        let strategy = choice.strategy.unwrap_or(defaults.strategy);
        let pay_by = (strategy == Strategy::PayByLink).then(|| {
            choice
                .deadline
                .unwrap_or(Deadline::Days(defaults.pay_days))
                .pay_by(now, starts_at)
        });
        Self {
            strategy,
            pay_by,
            remind_days: defaults.remind_days,
        }
    }

    /// The terms checkout places the order on.
    pub fn sale_terms(&self) -> SaleTerms {
        match self.strategy {
            Strategy::Complimentary => SaleTerms::complimentary(),
            Strategy::Invoice => SaleTerms::held(HoldTerm::UntilSettled),
            Strategy::PayByLink => match self.pay_by {
                Some(at) => SaleTerms::held(HoldTerm::Until(at)),
                None => SaleTerms::held(HoldTerm::UntilSettled),
            },
        }
    }
}

/// When the reminder of a pay-by-link intent is due: `remind_days` before the deadline, but
/// never within [`REMINDER_QUIET_HOURS`] of its creation; `None` when no reminder fits before
/// the deadline (or reminders are off).
pub fn reminder_due_at(
    created_at: DateTime<Utc>,
    pay_by: DateTime<Utc>,
    remind_days: u32,
) -> Option<DateTime<Utc>> {
    if remind_days == 0 {
        return None;
    }
    let at = (pay_by - Duration::days(i64::from(remind_days)))
        .max(created_at + Duration::hours(REMINDER_QUIET_HOURS));
    (at < pay_by).then_some(at)
}

/// Where an intent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    /// Held, waiting for the customer's payment or the organizer's.
    Pending,
    /// Paid (or given): the customer has the tickets.
    Completed,
    /// The deadline passed unpaid; everything was given back. The organizer may reopen it.
    Expired,
    /// Cancelled by the organizer (or the order cancelled); everything was given back.
    Cancelled,
}

impl IntentStatus {
    pub const ALL: [IntentStatus; 4] = [
        Self::Pending,
        Self::Completed,
        Self::Expired,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value.trim())
    }

    /// What an intent's order's state means for the intent.
    pub fn of_order(status: fullhouse_checkout::model::CheckoutStatus) -> Self {
        use fullhouse_checkout::model::CheckoutStatus as S;
        match status {
            S::AwaitingPayment => Self::Pending,
            S::Paid => Self::Completed,
            S::Expired => Self::Expired,
            S::Cancelled | S::Refunded => Self::Cancelled,
        }
    }
}

/// An organizer's action on an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Resend,
    Extend,
    Reopen,
    Cancel,
    MarkPaid,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resend => "resend",
            Self::Extend => "extend",
            Self::Reopen => "reopen",
            Self::Cancel => "cancel",
            Self::MarkPaid => "mark_paid",
        }
    }

    /// Whether the action makes sense for an intent of `strategy` in `status`; the reason
    /// when it does not (the API's 409 message; pages show only the allowed actions).
    pub fn allowed(self, strategy: Strategy, status: IntentStatus) -> Result<(), &'static str> {
        use IntentStatus as S;
        match (self, status) {
            (Self::Resend, S::Pending | S::Completed) => Ok(()),
            (Self::Resend, _) => Err("only a pending or completed intent's mail can be sent again"),
            (Self::Extend, S::Pending) if strategy == Strategy::PayByLink => Ok(()),
            (Self::Extend, S::Pending) => Err("only a pay-by-link intent has a deadline"),
            (Self::Extend, S::Expired) => {
                Err("this intent has expired and its seats were given back: reopen it")
            }
            (Self::Extend, _) => Err("only a pending intent can be extended"),
            (Self::Reopen, S::Expired | S::Cancelled) => Ok(()),
            (Self::Reopen, _) => Err("only an expired or cancelled intent can be reopened"),
            (Self::Cancel, S::Pending) => Ok(()),
            (Self::Cancel, S::Completed) => Err(
                "this intent is paid: cancel (and refund) its order from the order page instead",
            ),
            (Self::Cancel, _) => Err("this intent is no longer pending"),
            (Self::MarkPaid, S::Pending) if strategy != Strategy::Complimentary => Ok(()),
            (Self::MarkPaid, S::Completed) => Err("this intent is already paid"),
            (Self::MarkPaid, _) => Err("only a pending intent can be marked paid"),
        }
    }
}

/// How tickets reach the customer (the seed's `deliveryType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Delivery {
    /// E-tickets (mail, PDF, the buyer's page).
    #[default]
    Virtual,
    /// Printed tickets handed over or posted by the organizer.
    Hard,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Virtual => "VIRTUAL",
            Self::Hard => "HARD",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match fullhouse_core::tabular::normalize_header(value).as_str() {
            "virtual" | "eticket" | "digital" | "elektronisk" | "numerique" | "dematerialise" => {
                Some(Self::Virtual)
            }
            "hard" | "paper" | "print" | "printed" | "papir" | "fysisk" | "papier" | "physique" => {
                Some(Self::Hard)
            }
            _ => None,
        }
    }
}

/// One line of an intent: tickets of one type, on named seats or in a general-admission area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentItem {
    pub ticket_type_id: TicketTypeId,
    /// General-admission tickets; with `seats`, left out or equal to their number.
    pub quantity: Option<u32>,
    #[serde(default)]
    pub seat_ids: Vec<SeatId>,
    /// Seats by their names (what a spreadsheet says).
    #[serde(default)]
    pub seats: Vec<SeatNames>,
    /// A general-admission area by name, for ticket types not tied to one.
    pub ga_name: Option<String>,
}

impl IntentItem {
    /// Tickets this line books.
    pub fn tickets(&self) -> usize {
        let seated = self.seat_ids.len() + self.seats.len();
        if seated > 0 {
            seated
        } else {
            self.quantity.unwrap_or(1) as usize
        }
    }

    /// The line as checkout's cart item.
    pub fn cart_item(&self) -> fullhouse_checkout::model::CartItem {
        use fullhouse_checkout::model::{CartItem, SeatChoice};
        let seats = self
            .seat_ids
            .iter()
            .map(|id| SeatChoice {
                seat_id: Some(id.clone()),
                seat: None,
            })
            .chain(self.seats.iter().map(|names| SeatChoice {
                seat_id: None,
                seat: Some(names.clone()),
            }))
            .collect::<Vec<_>>();
        CartItem {
            ticket_type_id: self.ticket_type_id.clone(),
            quantity: if seats.is_empty() {
                Some(self.quantity.unwrap_or(1))
            } else {
                None
            },
            seats,
            ga_name: self.ga_name.clone(),
        }
    }
}

/// Everything an intent is made from (one created on a page, through the API, or one group of
/// an import's rows).
#[derive(Debug, Clone)]
pub struct NewIntent {
    pub customer_id: CustomerId,
    pub event_id: EventId,
    pub shop_id: Option<ShopId>,
    pub items: Vec<IntentItem>,
    /// A campaign code, applied as at the storefront (same rules, same use counting).
    pub coupon: Option<String>,
    pub company: Option<String>,
    pub delivery: Delivery,
    pub strategy: StrategyChoice,
    /// Mail the booking (with the payment link) to the customer.
    pub send_mail: bool,
    /// The import this intent came from (`None`: made one by one).
    pub import_id: Option<String>,
    /// Who made it (a user's email, or the API token's name).
    pub created_by: String,
}

/// An intent as stored, with what its order says.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Intent {
    pub id: IntentId,
    #[schema(value_type = String)]
    pub customer_id: CustomerId,
    #[schema(value_type = String)]
    pub event_id: EventId,
    #[schema(value_type = Option<String>)]
    pub shop_id: Option<ShopId>,
    /// The order holding the tickets (a reopened intent has a new one).
    #[schema(value_type = Option<String>)]
    pub order_id: Option<OrderId>,
    pub strategy: Strategy,
    pub status: IntentStatus,
    pub items: Vec<IntentItem>,
    pub coupon: Option<String>,
    pub company: Option<String>,
    pub delivery: Delivery,
    pub pay_by: Option<DateTime<Utc>>,
    pub remind_days: u32,
    pub reminder_sent_at: Option<DateTime<Utc>>,
    pub send_mail: bool,
    pub ticket_count: u32,
    pub total_minor: i64,
    pub currency: String,
    /// The customer's payment page (pay by link; the booking for the other strategies).
    pub link: String,
    pub import_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One line of an intent's history: what happened, who did it, when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// `created`, `mailed`, `reminded`, `extended`, `reopened`, `cancelled`, `marked_paid`,
    /// `paid`, `expired`, `order_cancelled`.
    pub action: String,
    /// A user's email, `customer`, or `system`.
    pub actor: String,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

/// The key of one imported row: the same ticket for the same customer from the same source is
/// booked once, however often the file (or a file overlapping it) is imported.
///
/// Over: the import's source (a name the organizer gives; one shared default, so any two files
/// overlap), the customer, the event, the ticket type, and the seat — or, for general
/// admission, the area and the row's occurrence among identical rows of its file (a customer
/// with two standing tickets of one type has two rows, and keeps both).
pub fn row_key(
    source: &str,
    customer: &CustomerId,
    event: &EventId,
    ticket_type: &TicketTypeId,
    place: &str,
    occurrence: usize,
) -> String {
    let mut hash = Sha256::new();
    for part in [
        source.trim().to_lowercase().as_str(),
        customer.as_str(),
        event.as_str(),
        ticket_type.as_str(),
        place.trim().to_lowercase().as_str(),
        occurrence.to_string().as_str(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    let mut key = format!("{:x}", hash.finalize());
    // `intent_row_keys.id` is an id column (40 characters on PostgreSQL): 40 hex digits of the
    // SHA-256 are 160 bits, far from any collision.
    key.truncate(ROW_KEY_CHARS);
    key
}

/// Characters of a stored row key.
pub const ROW_KEY_CHARS: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn a_deadline_never_falls_after_the_event_starts() {
        let now = at("2027-01-01T10:00:00Z");
        let starts = at("2027-01-04T19:30:00Z");
        assert_eq!(Deadline::Days(7).pay_by(now, starts), starts);
        assert_eq!(
            Deadline::Days(2).pay_by(now, starts),
            at("2027-01-03T10:00:00Z")
        );
        assert_eq!(
            Deadline::Until(at("2027-02-01T00:00:00Z")).pay_by(now, starts),
            starts
        );
    }

    #[test]
    fn the_reminder_is_never_sent_within_two_hours_of_creation() {
        let created = at("2027-01-01T10:00:00Z");
        // Three days before a deadline a week away.
        assert_eq!(
            reminder_due_at(created, at("2027-01-08T10:00:00Z"), 3),
            Some(at("2027-01-05T10:00:00Z"))
        );
        // A deadline one day away: the reminder waits for the quiet hours to pass.
        assert_eq!(
            reminder_due_at(created, at("2027-01-02T10:00:00Z"), 3),
            Some(at("2027-01-01T12:00:00Z"))
        );
        // A deadline within the quiet hours: no reminder.
        assert_eq!(
            reminder_due_at(created, at("2027-01-01T11:00:00Z"), 3),
            None
        );
        assert_eq!(
            reminder_due_at(created, at("2027-01-08T10:00:00Z"), 0),
            None
        );
    }

    #[test]
    fn an_explicit_strategy_overrides_the_events_default() {
        let now = at("2027-01-01T10:00:00Z");
        let starts = at("2027-03-01T19:00:00Z");
        let defaults = EventDefaults::default();
        let by_default = Terms::resolve(StrategyChoice::default(), defaults, now, starts);
        assert_eq!(by_default.strategy, Strategy::PayByLink);
        assert_eq!(by_default.pay_by, Some(at("2027-01-08T10:00:00Z")));
        let invoice = Terms::resolve(
            StrategyChoice {
                strategy: Some(Strategy::Invoice),
                deadline: None,
            },
            defaults,
            now,
            starts,
        );
        assert_eq!(invoice.pay_by, None);
        assert_eq!(
            invoice.sale_terms(),
            SaleTerms::held(HoldTerm::UntilSettled)
        );
        assert!(
            Terms::resolve(
                StrategyChoice {
                    strategy: Some(Strategy::Complimentary),
                    deadline: None
                },
                defaults,
                now,
                starts
            )
            .sale_terms()
            .complimentary
        );
    }

    #[test]
    fn strategies_and_deliveries_read_in_three_languages() {
        assert_eq!(Strategy::parse("Pay by link"), Some(Strategy::PayByLink));
        assert_eq!(Strategy::parse("faktura"), Some(Strategy::Invoice));
        assert_eq!(Strategy::parse("Gratuit"), Some(Strategy::Complimentary));
        assert_eq!(Strategy::parse("sometimes"), None);
        assert_eq!(Delivery::parse("HARD"), Some(Delivery::Hard));
        assert_eq!(Delivery::parse("papir"), Some(Delivery::Hard));
        assert_eq!(Delivery::parse("virtual"), Some(Delivery::Virtual));
    }

    #[test]
    fn actions_follow_the_status() {
        use IntentStatus as S;
        assert!(Action::Reopen
            .allowed(Strategy::PayByLink, S::Expired)
            .is_ok());
        assert!(Action::Reopen
            .allowed(Strategy::PayByLink, S::Pending)
            .is_err());
        assert!(Action::Extend
            .allowed(Strategy::Invoice, S::Pending)
            .is_err());
        assert!(Action::MarkPaid
            .allowed(Strategy::Invoice, S::Pending)
            .is_ok());
        assert!(Action::Cancel
            .allowed(Strategy::PayByLink, S::Completed)
            .is_err());
    }

    #[test]
    fn the_row_key_ignores_case_and_spacing_of_the_source_and_place() {
        let customer = CustomerId::from_db("cus_1".into());
        let event = EventId::from_db("evt_1".into());
        let tt = TicketTypeId::from_db("tt_1".into());
        let a = row_key(
            "Subscriptions",
            &customer,
            &event,
            &tt,
            "Parterre/A/3/12",
            0,
        );
        let b = row_key(
            " subscriptions ",
            &customer,
            &event,
            &tt,
            "parterre/a/3/12",
            0,
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            row_key(
                "Subscriptions",
                &customer,
                &event,
                &tt,
                "Parterre/A/3/12",
                1
            )
        );
    }
}
