//! Carts, quotes and checkout orders; the pricing rules that need no database are in
//! [`pricing`].

use chrono::{DateTime, Utc};
use fullhouse_core::FieldError;
use fullhouse_ticketing::model::orders::{Channel, SeatNames};
use fullhouse_ticketing::service::sale_facts::StockSeat;
use fullhouse_ticketing::{CustomerId, EventId, OrderId, SeatId, TicketTypeId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::codes::DiscountKind;

pub mod order_form;
pub mod payment_method;
pub mod pricing;
pub use order_form::OrderForm;
pub use payment_method::PaymentMethod;
pub use pricing::*;

/// The most tickets one checkout sells in one order.
pub const MAX_TICKETS_PER_CART: usize = 50;
/// The most codes one cart may carry.
pub const MAX_CODES_PER_CART: usize = 5;
/// A code longer than this is not a code (and is not looked up).
pub const MAX_CODE_LENGTH: usize = 100;

/// What a buyer (or the box office) wants for one event.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cart {
    pub event_id: EventId,
    pub items: Vec<CartItem>,
    /// Codes typed by the buyer.
    #[serde(default)]
    pub codes: Vec<String>,
    /// The buyer as a known customer (box office); storefront buyers give `buyer` instead.
    pub customer_id: Option<CustomerId>,
    /// The referral code the buyer came through (the storefront takes it from the tracking
    /// link's cookie); kept on the order for the referral programme. See
    /// `fullhouse_ticketing::model::orders::referral_code` for its form.
    #[serde(default)]
    pub referral_code: Option<String>,
}

/// Tickets of one ticket type: seats (one ticket each), or a quantity of general admission.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartItem {
    pub ticket_type_id: TicketTypeId,
    /// How many general-admission tickets; with `seats`, must be left out or equal their number.
    pub quantity: Option<u32>,
    #[serde(default)]
    pub seats: Vec<SeatChoice>,
    /// A general-admission area of the venue by name, for ticket types not tied to one.
    pub ga_name: Option<String>,
}

/// A seat by id (the seat-map picker) or by its names (what organizers type); one of the two.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatChoice {
    pub seat_id: Option<SeatId>,
    pub seat: Option<SeatNames>,
}

/// A seat as shown to buyers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeatView {
    pub id: SeatId,
    pub section_name: String,
    pub group_name: String,
    pub row_name: String,
    pub seat_label: String,
    pub category: Option<String>,
}

impl SeatView {
    fn of(seat: &StockSeat) -> Self {
        Self {
            id: seat.id.clone(),
            section_name: seat.section_name.clone(),
            group_name: seat.group_name.clone(),
            row_name: seat.row_name.clone(),
            seat_label: seat.seat_label.clone(),
            category: seat.category.clone(),
        }
    }
}

/// A priced cart: one line per ticket, what each code did, the total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Quote {
    pub event_id: EventId,
    pub currency: String,
    pub lines: Vec<QuoteLine>,
    pub codes: Vec<CodeOutcome>,
    /// Grants that applied without a code (loyalty).
    pub automatic: Vec<String>,
    pub total_minor: i64,
    /// What is wrong with the cart (fields as `items[0].seats[1]`, `codes[0]`); a quote with
    /// problems cannot be placed.
    pub problems: Vec<FieldError>,
}

/// One ticket of a quote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteLine {
    /// The cart item it comes from.
    pub item: usize,
    pub ticket_type_id: TicketTypeId,
    pub ticket_type_name: String,
    pub category: Option<String>,
    pub seat: Option<SeatView>,
    pub ga_name: Option<String>,
    pub list_price_minor: i64,
    pub price_minor: i64,
    /// The code (or automatic grant's label) this ticket uses.
    pub applied: Option<String>,
    /// A membership grant (loyalty) that would have lowered this ticket's price but covers no
    /// more tickets in this order: the ticket is at its list price. (A typed code never leaves a
    /// ticket short: the order is refused on the code instead.)
    pub short_of: Option<String>,
}

/// What one typed code did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeOutcome {
    pub code: String,
    pub status: CodeStatus,
    pub message: String,
    /// Present when the code is known here.
    pub grant: Option<GrantView>,
    /// Uses this cart takes.
    pub uses: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    /// The code is applied to tickets of the cart.
    Applied,
    /// The code is valid here, but nothing in the cart uses it (yet).
    Valid,
    /// The code is known here but has no uses left.
    UsedUp,
    /// The code does nothing for this event: the same answer whether or not it exists elsewhere.
    Unknown,
}

impl CodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Valid => "valid",
            Self::UsedUp => "used_up",
            Self::Unknown => "unknown",
        }
    }
}

/// The same message for every code that does nothing here, known elsewhere or not.
pub const UNKNOWN_CODE_MESSAGE: &str = "this code does not unlock anything for this event";

/// What a grant offers, as the buyer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantView {
    pub label: String,
    pub unlocks_ticket_types: Vec<TicketTypeId>,
    pub unlocks_categories: Vec<String>,
    /// The held seats of this event the grant unlocks.
    pub unlocks_seats: Vec<SeatId>,
    pub discount: Option<DiscountKind>,
    pub max_tickets_per_order: Option<u32>,
    pub remaining: Option<i64>,
}

/// A checkout order's state: ticketing's order state itself. Checkout keeps it in
/// `checkout_orders.status` too (the expiry sweep reads it there across organizations) and moves
/// both with conditional updates in one transaction, so the two are equal at every commit; one
/// type means they cannot name different states. (Checkout had a status enum of its own while
/// ticketing's orders were only `placed` or `cancelled`.)
pub use fullhouse_ticketing::model::orders::OrderStatus as CheckoutStatus;

/// An order sold through checkout: its payment state, and ticketing's order with the tickets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckoutOrder {
    pub id: OrderId,
    pub event_id: EventId,
    pub channel: Channel,
    pub status: CheckoutStatus,
    pub total_minor: i64,
    pub currency: String,
    /// When an unpaid hold gives everything back.
    pub expires_at: Option<DateTime<Utc>>,
    pub payment_provider: String,
    pub payment_reference: Option<String>,
    /// How a sale paid at the box office counter was paid; `None` for online orders.
    pub payment_method: Option<PaymentMethod>,
    /// True when the payment provider is the test provider: no money moved.
    pub test_payment: bool,
    pub codes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The secret shop the order was placed in (`None`: the public shop, box office or API).
    #[schema(value_type = Option<String>)]
    pub shop_id: Option<fullhouse_ticketing::ShopId>,
    #[schema(value_type = Object)]
    pub order: fullhouse_ticketing::model::orders::Order,
}

/// A storefront buyer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerInput {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}
