//! Carts, quotes and checkout orders, and the pricing rules that need no database: which tickets
//! a cart asks for, which of them a code must unlock, which grant each ticket uses, what it costs
//! and how many uses each grant takes.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use fullhouse_core::FieldError;
use fullhouse_ticketing::model::orders::{Channel, SeatNames};
use fullhouse_ticketing::service::sale_facts::{EventStock, StockSeat, StockTicketType};
use fullhouse_ticketing::{CustomerId, EventId, GaAreaId, OrderId, SeatId, TicketTypeId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::codes::{CodeGrant, Counting, DiscountKind};

pub mod order_form;
pub use order_form::OrderForm;

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
    /// True when the payment provider is the test provider: no money moved.
    pub test_payment: bool,
    pub codes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
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

// ---------------------------------------------------------------------------------------------
// Seat labels held for codes.
// ---------------------------------------------------------------------------------------------

/// Whether an organizer's seat label (a member's "Seat" column) names `seat`. Compared without
/// case and surrounding spaces, a label names the seat when it is the seat's own label, or its
/// row and label joined by `-`, or all four names joined by `/` or `-` (`North-1`, `A-12`,
/// `Parterre/Centre/A/12`).
pub fn seat_matches(seat: &StockSeat, label: &str) -> bool {
    let wanted = label.trim().to_lowercase();
    if wanted.is_empty() {
        return false;
    }
    let parts = [
        seat.section_name.trim().to_lowercase(),
        seat.group_name.trim().to_lowercase(),
        seat.row_name.trim().to_lowercase(),
        seat.seat_label.trim().to_lowercase(),
    ];
    let [section, group, row, own] = &parts;
    wanted == *own
        || wanted == format!("{row}-{own}")
        || wanted == format!("{section}-{own}")
        || wanted == parts.join("/")
        || wanted == parts.join("-")
        || wanted == format!("{group}-{own}")
        || wanted == format!("{section}/{row}/{own}")
}

// ---------------------------------------------------------------------------------------------
// Pricing.
// ---------------------------------------------------------------------------------------------

/// A code typed by the buyer and what looking it up found.
#[derive(Debug, Clone)]
pub struct TypedCode {
    pub code: String,
    pub grant: Option<CodeGrant>,
}

/// Everything pricing reads.
pub struct PricingInput<'a> {
    pub stock: &'a EventStock,
    pub cart: &'a Cart,
    pub codes: &'a [TypedCode],
    pub automatic: &'a [CodeGrant],
    /// Seat labels held back for codes.
    pub held_seats: &'a [String],
    pub channel: Channel,
    pub now: DateTime<Utc>,
}

/// A ticket of the cart, resolved against the event's stock.
#[derive(Debug, Clone)]
pub struct PricedTicket {
    pub item: usize,
    pub ticket_type: StockTicketType,
    pub seat: Option<StockSeat>,
    pub ga_name: Option<String>,
    pub ga_area_id: Option<GaAreaId>,
    pub list_price_minor: i64,
    pub price_minor: i64,
    /// Index into [`Priced::grants`].
    pub grant: Option<usize>,
}

/// A grant the cart can use, with where it came from.
#[derive(Debug, Clone)]
pub struct UsableGrant {
    pub grant: CodeGrant,
    /// Index into the typed codes, or `None` for an automatic grant.
    pub typed: Option<usize>,
}

/// The result of pricing a cart.
#[derive(Debug, Clone)]
pub struct Priced {
    pub tickets: Vec<PricedTicket>,
    pub grants: Vec<UsableGrant>,
    /// Wrong input (422).
    pub problems: Vec<FieldError>,
    /// Stock or uses that are gone: a sold seat, a sold-out type, a used-up code (409).
    pub conflicts: Vec<FieldError>,
}

impl Priced {
    /// Uses each grant takes: tickets it applies to, or one per order.
    pub fn uses_per_grant(&self) -> BTreeMap<usize, i64> {
        let mut uses: BTreeMap<usize, i64> = BTreeMap::new();
        for ticket in &self.tickets {
            if let Some(g) = ticket.grant {
                *uses.entry(g).or_default() += 1;
            }
        }
        for (g, count) in uses.iter_mut() {
            if let Some(usable) = self.grants.get(*g) {
                if usable.grant.counting == Counting::PerOrder {
                    *count = 1;
                }
            }
        }
        uses
    }

    pub fn total_minor(&self) -> i64 {
        self.tickets.iter().map(|t| t.price_minor).sum()
    }
}

/// Prices a cart: resolves every ticket, checks what needs unlocking, assigns grants and
/// discounts, and collects every problem (never stops at the first).
pub fn price(input: &PricingInput<'_>) -> Priced {
    let mut problems = Vec::new();
    let grants = usable_grants(input, &mut problems);
    let mut conflicts = Vec::new();
    let mut tickets = resolve_tickets(input, &mut problems, &mut conflicts);
    check_sales_window(input, &mut problems);
    assign_grants(input, &grants, &mut tickets, &mut problems);
    for ticket in &mut tickets {
        let discount = ticket
            .grant
            .and_then(|g| grants.get(g))
            .and_then(|usable| usable.grant.discount.as_ref())
            .filter(|d| {
                d.ticket_types.is_empty() || d.ticket_types.contains(&ticket.ticket_type.id)
            });
        ticket.price_minor = match discount {
            Some(d) => discounted(ticket.list_price_minor, d.kind),
            None => ticket.list_price_minor,
        };
    }
    let mut priced = Priced {
        tickets,
        grants,
        problems,
        conflicts,
    };
    check_remaining_uses(input, &mut priced);
    priced
}

/// The price after a discount: never negative, never above the list price.
pub fn discounted(list_minor: i64, kind: DiscountKind) -> i64 {
    let price = match kind {
        DiscountKind::PercentBasisPoints(bp) => {
            let bp = i128::from(bp.min(10_000));
            let off = (i128::from(list_minor) * bp + 5_000) / 10_000;
            list_minor - i64::try_from(off).unwrap_or(list_minor)
        }
        DiscountKind::AmountOffMinor(off) => list_minor.saturating_sub(off.max(0)),
        DiscountKind::FixedPriceMinor(fixed) => fixed.max(0),
    };
    price.clamp(0, list_minor.max(0))
}

fn usable_grants(input: &PricingInput<'_>, problems: &mut Vec<FieldError>) -> Vec<UsableGrant> {
    let mut grants = Vec::new();
    let mut seen_keys = HashSet::new();
    for (index, typed) in input.codes.iter().enumerate() {
        match &typed.grant {
            None => problems.push(FieldError::new(
                format!("codes[{index}]"),
                UNKNOWN_CODE_MESSAGE,
            )),
            Some(grant) => {
                if seen_keys.insert(grant.key.clone()) {
                    grants.push(UsableGrant {
                        grant: grant.clone(),
                        typed: Some(index),
                    });
                }
            }
        }
    }
    for grant in input.automatic {
        if seen_keys.insert(grant.key.clone()) {
            grants.push(UsableGrant {
                grant: grant.clone(),
                typed: None,
            });
        }
    }
    grants
}

fn resolve_tickets(
    input: &PricingInput<'_>,
    problems: &mut Vec<FieldError>,
    conflicts: &mut Vec<FieldError>,
) -> Vec<PricedTicket> {
    let mut tickets = Vec::new();
    if input.cart.items.is_empty() {
        problems.push(FieldError::new("items", "choose at least one ticket"));
    }
    let mut seats_in_cart = HashSet::new();
    for (index, item) in input.cart.items.iter().enumerate() {
        let at = |field: &str| format!("items[{index}].{field}");
        let Some(ticket_type) = input
            .stock
            .ticket_types
            .iter()
            .find(|t| t.id == item.ticket_type_id)
        else {
            problems.push(FieldError::new(
                at("ticket_type_id"),
                format!("no ticket type {} for this event", item.ticket_type_id),
            ));
            continue;
        };
        let ga_name = item
            .ga_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let area = match (&ticket_type.ga_area_id, ga_name) {
            (Some(id), _) => input.stock.ga_areas.iter().find(|a| &a.id == id),
            (None, Some(name)) => {
                let found = input
                    .stock
                    .ga_areas
                    .iter()
                    .find(|a| a.name.trim().eq_ignore_ascii_case(name));
                if found.is_none() {
                    problems.push(FieldError::new(
                        at("ga_name"),
                        format!("no general-admission area named `{name}` at this venue"),
                    ));
                    continue;
                }
                found
            }
            (None, None) => None,
        };
        let base = |seat: Option<StockSeat>| PricedTicket {
            item: index,
            ticket_type: ticket_type.clone(),
            seat,
            ga_name: area.map(|a| a.name.clone()),
            ga_area_id: area.map(|a| a.id.clone()),
            list_price_minor: ticket_type.price_minor,
            price_minor: ticket_type.price_minor,
            grant: None,
        };
        if !item.seats.is_empty() {
            if area.is_some() {
                problems.push(FieldError::new(
                    at("seats"),
                    format!(
                        "`{}` is general admission: give a quantity, not seats",
                        ticket_type.name
                    ),
                ));
                continue;
            }
            if item
                .quantity
                .is_some_and(|q| q as usize != item.seats.len())
            {
                problems.push(FieldError::new(
                    at("quantity"),
                    "must be left out or equal the number of seats",
                ));
            }
            for (position, choice) in item.seats.iter().enumerate() {
                let field = format!("items[{index}].seats[{position}]");
                match find_seat(input.stock, choice) {
                    Err(reason) => problems.push(FieldError::new(field, reason)),
                    Ok(seat) => {
                        if !seats_in_cart.insert(seat.id.clone()) {
                            problems.push(FieldError::new(field, "this seat is in the cart twice"));
                        } else if seat.sold {
                            conflicts.push(FieldError::new(
                                field,
                                format!("seat {} is sold", seat_name(seat)),
                            ));
                        } else {
                            tickets.push(base(Some(seat.clone())));
                        }
                    }
                }
            }
        } else {
            if area.is_none() {
                problems.push(FieldError::new(
                    at("seats"),
                    format!("`{}` is seated: choose seats", ticket_type.name),
                ));
                continue;
            }
            let quantity = item.quantity.unwrap_or(1);
            if quantity == 0 {
                problems.push(FieldError::new(at("quantity"), "must be at least 1"));
                continue;
            }
            if quantity as usize > MAX_TICKETS_PER_CART {
                problems.push(FieldError::new(
                    at("quantity"),
                    format!("at most {MAX_TICKETS_PER_CART} tickets per order"),
                ));
                continue;
            }
            for _ in 0..quantity {
                tickets.push(base(None));
            }
        }
        if let Some(left) = ticket_type.left() {
            let wanted = tickets.iter().filter(|t| t.item == index).count() as i64;
            if wanted > left {
                conflicts.push(FieldError::new(
                    at("ticket_type_id"),
                    format!("`{}` has {left} left, {wanted} wanted", ticket_type.name),
                ));
            }
        }
    }
    if tickets.len() > MAX_TICKETS_PER_CART {
        problems.push(FieldError::new(
            "items",
            format!("at most {MAX_TICKETS_PER_CART} tickets per order"),
        ));
    }
    tickets
}

fn find_seat<'s>(stock: &'s EventStock, choice: &SeatChoice) -> Result<&'s StockSeat, String> {
    match (&choice.seat_id, &choice.seat) {
        (Some(id), None) => stock
            .seats
            .iter()
            .find(|s| &s.id == id)
            .ok_or_else(|| format!("no seat {id} at this event's venue")),
        (None, Some(names)) => {
            let names = names.trimmed();
            stock
                .seats
                .iter()
                .find(|s| {
                    s.section_name == names.section_name
                        && s.group_name == names.group_name
                        && s.row_name == names.row_name
                        && s.seat_label == names.seat_label
                })
                .ok_or_else(|| {
                    format!(
                        "no seat {} / {} / row {} / seat {} at this event's venue",
                        names.section_name, names.group_name, names.row_name, names.seat_label
                    )
                })
        }
        _ => Err("give seat_id or seat, exactly one".into()),
    }
}

fn seat_name(seat: &StockSeat) -> String {
    fullhouse_ticketing::model::orders::describe_seat(
        &seat.section_name,
        &seat.group_name,
        &seat.row_name,
        &seat.seat_label,
    )
}

/// Online sales keep to the event's and each ticket type's sales window; the box office sells
/// whenever the organizer decides.
fn check_sales_window(input: &PricingInput<'_>, problems: &mut Vec<FieldError>) {
    if input.channel == Channel::BoxOffice {
        return;
    }
    let now = input.now;
    let stock = input.stock;
    if stock.sales_start.is_some_and(|s| now < s) || stock.sales_end.is_some_and(|e| now > e) {
        problems.push(FieldError::new("event_id", "the event is not on sale now"));
    }
    for (index, item) in input.cart.items.iter().enumerate() {
        if let Some(t) = stock
            .ticket_types
            .iter()
            .find(|t| t.id == item.ticket_type_id)
        {
            if t.sales_start.is_some_and(|s| now < s) || t.sales_end.is_some_and(|e| now > e) {
                problems.push(FieldError::new(
                    format!("items[{index}].ticket_type_id"),
                    format!("`{}` is not on sale now", t.name),
                ));
            }
        }
    }
}

/// Whether a ticket type is closed to open sale on every channel: hidden, or in a secret shop.
/// Such a type is sold only with a grant that unlocks it (a code, or a loyalty membership of an
/// identified customer) — online, at the box office and through the API alike, so a seat is
/// never priced at a code-only price without the code.
pub fn is_locked(ticket_type: &StockTicketType) -> bool {
    ticket_type.hidden || ticket_type.shop_id.is_some()
}

fn grant_unlocks_type(grant: &CodeGrant, ticket_type: &StockTicketType) -> bool {
    grant.unlocks_ticket_types.contains(&ticket_type.id)
        || ticket_type.category.as_deref().is_some_and(|category| {
            grant
                .unlocks_categories
                .iter()
                .any(|c| c.trim().eq_ignore_ascii_case(category.trim()))
        })
}

fn grant_unlocks_seat(grant: &CodeGrant, seat: &StockSeat) -> bool {
    grant
        .unlocks_seats
        .iter()
        .any(|label| seat_matches(seat, label))
        || seat.category.as_deref().is_some_and(|category| {
            grant
                .unlocks_categories
                .iter()
                .any(|c| c.trim().eq_ignore_ascii_case(category.trim()))
        })
}

fn grant_discounts(grant: &CodeGrant, ticket_type: &StockTicketType) -> bool {
    grant
        .discount
        .as_ref()
        .is_some_and(|d| d.ticket_types.is_empty() || d.ticket_types.contains(&ticket_type.id))
}

/// Whether a seat is held back for codes.
pub fn is_held(seat: &StockSeat, held_seats: &[String]) -> bool {
    held_seats.iter().any(|label| seat_matches(seat, label))
}

/// Gives each ticket the grant it uses: one that unlocks it when it needs unlocking, else the one
/// with the lowest price for it. A grant serves at most its per-order limit of tickets.
fn assign_grants(
    input: &PricingInput<'_>,
    grants: &[UsableGrant],
    tickets: &mut [PricedTicket],
    problems: &mut Vec<FieldError>,
) {
    let online = input.channel == Channel::Online;
    let mut served: BTreeMap<usize, u32> = BTreeMap::new();
    let has_room = |served: &BTreeMap<usize, u32>, g: usize| {
        let limit = grants
            .get(g)
            .and_then(|u| u.grant.max_tickets_per_order)
            .unwrap_or(u32::MAX);
        served.get(&g).copied().unwrap_or(0) < limit
    };
    for ticket in tickets.iter_mut() {
        let type_locked = is_locked(&ticket.ticket_type);
        let seat_held = online
            && ticket
                .seat
                .as_ref()
                .is_some_and(|s| is_held(s, input.held_seats));
        let opens = |u: &UsableGrant| {
            (!type_locked || grant_unlocks_type(&u.grant, &ticket.ticket_type))
                && (!seat_held
                    || ticket
                        .seat
                        .as_ref()
                        .is_some_and(|s| grant_unlocks_seat(&u.grant, s)))
        };
        let needs_unlock = type_locked || seat_held;
        let candidates: Vec<usize> = grants
            .iter()
            .enumerate()
            .filter(|(g, u)| {
                has_room(&served, *g)
                    && if needs_unlock {
                        opens(u)
                    } else {
                        grant_discounts(&u.grant, &ticket.ticket_type)
                    }
            })
            .map(|(g, _)| g)
            .collect();
        let best = candidates.into_iter().min_by_key(|g| {
            grants
                .get(*g)
                .and_then(|u| u.grant.discount.as_ref())
                .filter(|_| grant_discounts_at(grants, *g, &ticket.ticket_type))
                .map_or(ticket.list_price_minor, |d| {
                    discounted(ticket.list_price_minor, d.kind)
                })
        });
        match best {
            Some(g) => {
                *served.entry(g).or_default() += 1;
                ticket.grant = Some(g);
            }
            None if needs_unlock => {
                let what = match (&ticket.seat, type_locked) {
                    (Some(seat), false) => format!("seat {} is reserved", seat_name(seat)),
                    _ => format!("`{}` is not on open sale", ticket.ticket_type.name),
                };
                let limited = grants
                    .iter()
                    .enumerate()
                    .any(|(g, u)| opens(u) && !has_room(&served, g));
                let reason = if limited {
                    format!(
                        "{what}, and the code that unlocks it allows no more tickets in this order"
                    )
                } else {
                    format!("{what}: it needs a code that unlocks it")
                };
                problems.push(FieldError::new(
                    format!("items[{}].ticket_type_id", ticket.item),
                    reason,
                ));
            }
            None => {}
        }
    }
}

fn grant_discounts_at(grants: &[UsableGrant], g: usize, ticket_type: &StockTicketType) -> bool {
    grants
        .get(g)
        .is_some_and(|u| grant_discounts(&u.grant, ticket_type))
}

/// A grant whose `remaining` is below what the cart takes is a problem on its code (the
/// conditional update would refuse it anyway; this says so before placing).
fn check_remaining_uses(input: &PricingInput<'_>, priced: &mut Priced) {
    for (g, uses) in priced.uses_per_grant() {
        let Some(usable) = priced.grants.get(g) else {
            continue;
        };
        if let Some(remaining) = usable.grant.remaining {
            if uses > remaining {
                let field = match usable.typed {
                    Some(index) => format!("codes[{index}]"),
                    None => "customer_id".to_string(),
                };
                let code = usable
                    .typed
                    .and_then(|i| input.codes.get(i))
                    .map_or(usable.grant.label.clone(), |t| t.code.clone());
                priced.conflicts.push(FieldError::new(
                    field,
                    if remaining <= 0 {
                        format!("code {code} has been used up")
                    } else {
                        format!("code {code} has {remaining} uses left; this order needs {uses}")
                    },
                ));
            }
        }
    }
}

/// What each typed code did, for the quote.
pub fn code_outcomes(input: &PricingInput<'_>, priced: &Priced) -> Vec<CodeOutcome> {
    let uses = priced.uses_per_grant();
    input
        .codes
        .iter()
        .enumerate()
        .map(|(index, typed)| {
            let Some(grant) = &typed.grant else {
                return CodeOutcome {
                    code: typed.code.clone(),
                    status: CodeStatus::Unknown,
                    message: UNKNOWN_CODE_MESSAGE.to_string(),
                    grant: None,
                    uses: 0,
                };
            };
            let g = priced.grants.iter().position(|u| u.typed == Some(index));
            let taken = g.and_then(|g| uses.get(&g)).copied().unwrap_or(0);
            let (status, message) = if grant.remaining.is_some_and(|r| r <= 0) {
                (CodeStatus::UsedUp, "this code has been used up".to_string())
            } else if taken > 0 {
                (CodeStatus::Applied, grant.label.clone())
            } else {
                (CodeStatus::Valid, grant.label.clone())
            };
            CodeOutcome {
                code: typed.code.clone(),
                status,
                message,
                grant: Some(grant_view(grant, input.stock)),
                uses: taken,
            }
        })
        .collect()
}

/// A grant as the buyer sees it: which of this event's held seats it opens.
pub fn grant_view(grant: &CodeGrant, stock: &EventStock) -> GrantView {
    GrantView {
        label: grant.label.clone(),
        unlocks_ticket_types: grant.unlocks_ticket_types.clone(),
        unlocks_categories: grant.unlocks_categories.clone(),
        unlocks_seats: stock
            .seats
            .iter()
            .filter(|s| grant.unlocks_seats.iter().any(|l| seat_matches(s, l)))
            .map(|s| s.id.clone())
            .collect(),
        discount: grant.discount.as_ref().map(|d| d.kind),
        max_tickets_per_order: grant.max_tickets_per_order,
        remaining: grant.remaining,
    }
}

/// The quote of a priced cart.
pub fn quote(input: &PricingInput<'_>, priced: &Priced) -> Quote {
    let currency = priced
        .tickets
        .first()
        .map(|t| t.ticket_type.currency.clone())
        .or_else(|| input.stock.ticket_types.first().map(|t| t.currency.clone()))
        .unwrap_or_default();
    let label_of = |g: usize| {
        priced.grants.get(g).map(|u| match u.typed {
            Some(i) => input
                .codes
                .get(i)
                .map_or(u.grant.label.clone(), |t| t.code.clone()),
            None => u.grant.label.clone(),
        })
    };
    Quote {
        event_id: input.stock.event_id.clone(),
        currency,
        lines: priced
            .tickets
            .iter()
            .map(|t| QuoteLine {
                item: t.item,
                ticket_type_id: t.ticket_type.id.clone(),
                ticket_type_name: t.ticket_type.name.clone(),
                category: t.ticket_type.category.clone(),
                seat: t.seat.as_ref().map(SeatView::of),
                ga_name: t.ga_name.clone(),
                list_price_minor: t.list_price_minor,
                price_minor: t.price_minor,
                applied: t.grant.and_then(label_of),
            })
            .collect(),
        codes: code_outcomes(input, priced),
        automatic: priced
            .grants
            .iter()
            .filter(|u| u.typed.is_none())
            .map(|u| u.grant.label.clone())
            .collect(),
        total_minor: priced.total_minor(),
        problems: priced
            .problems
            .iter()
            .chain(priced.conflicts.iter())
            .cloned()
            .collect(),
    }
}

/// Trims typed codes, drops empty ones, and refuses too many or too long.
pub fn clean_codes(codes: &[String]) -> Result<Vec<String>, FieldError> {
    if codes.len() > MAX_CODES_PER_CART {
        return Err(FieldError::new(
            "codes",
            format!("at most {MAX_CODES_PER_CART} codes per order"),
        ));
    }
    let mut cleaned = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        let code = code.trim();
        if code.chars().count() > MAX_CODE_LENGTH {
            return Err(FieldError::new(
                format!("codes[{index}]"),
                UNKNOWN_CODE_MESSAGE,
            ));
        }
        if !code.is_empty() && !cleaned.iter().any(|c: &String| c == code) {
            cleaned.push(code.to_string());
        }
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(section: &str, group: &str, row: &str, label: &str) -> StockSeat {
        StockSeat {
            id: SeatId::generate(),
            section_name: section.into(),
            group_name: group.into(),
            row_name: row.into(),
            seat_label: label.into(),
            category: None,
            sold: false,
        }
    }

    #[test]
    fn a_member_seat_label_names_the_seat_in_the_forms_organizers_type() {
        let s = seat("Parterre", "North", "A", "1");
        assert!(seat_matches(&s, "1"));
        assert!(seat_matches(&s, "North-1"));
        assert!(seat_matches(&s, " a-1 "));
        assert!(seat_matches(&s, "Parterre/North/A/1"));
        assert!(!seat_matches(&s, "South-1"));
        assert!(!seat_matches(&s, ""));
    }

    #[test]
    fn discounts_never_go_below_zero_or_above_the_list_price() {
        assert_eq!(
            discounted(10_000, DiscountKind::PercentBasisPoints(2_500)),
            7_500
        );
        assert_eq!(
            discounted(999, DiscountKind::PercentBasisPoints(5_000)),
            499
        );
        assert_eq!(
            discounted(10_000, DiscountKind::PercentBasisPoints(20_000)),
            0
        );
        assert_eq!(discounted(10_000, DiscountKind::AmountOffMinor(12_000)), 0);
        assert_eq!(
            discounted(10_000, DiscountKind::FixedPriceMinor(5_000)),
            5_000
        );
        assert_eq!(
            discounted(10_000, DiscountKind::FixedPriceMinor(50_000)),
            10_000
        );
    }

    #[test]
    fn typed_codes_are_trimmed_deduplicated_and_limited() {
        let codes = vec![" VIP1 ".to_string(), "VIP1".into(), "".into()];
        assert_eq!(clean_codes(&codes).ok(), Some(vec!["VIP1".to_string()]));
        let many: Vec<String> = (0..9).map(|i| format!("C{i}")).collect();
        assert!(clean_codes(&many).is_err());
    }
}
