//! Pricing a cart, the one rule every channel goes through: which tickets a cart asks for, which
//! of them a grant (a code, or loyalty) must unlock, which grant each ticket uses, what it costs,
//! and how many tickets each grant may cover (see `README.md`, "What a code covers").

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use fullhouse_core::FieldError;
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::sale_facts::{EventStock, StockSeat, StockTicketType};
use fullhouse_ticketing::{GaAreaId, ShopId};

use super::{
    Cart, CodeOutcome, CodeStatus, GrantView, Quote, QuoteLine, SeatChoice, SeatView,
    MAX_CODES_PER_CART, MAX_CODE_LENGTH, MAX_TICKETS_PER_CART, UNKNOWN_CODE_MESSAGE,
};
use crate::codes::{CodeGrant, Counting, DiscountKind};

mod grants;
use grants::assign_grants;
pub use grants::{capacity, is_held, is_locked, is_locked_in, Bound, Capacity};
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
    /// The secret shop the sale is made in: it unlocks that shop's own types and sells no other
    /// (see [`is_locked_in`]). `None` for the public shop, the box office and the API.
    pub shop: Option<&'a ShopId>,
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
    /// An automatic grant (loyalty) that would have lowered this ticket's price but had no room
    /// left in this order (index into [`Priced::grants`]).
    pub short_of: Option<usize>,
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
    check_shop(input, &mut problems);
    assign_grants(
        input,
        &grants,
        &mut tickets,
        (&mut problems, &mut conflicts),
    );
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
    Priced {
        tickets,
        grants,
        problems,
        conflicts,
    }
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
            short_of: None,
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

/// A secret shop sells its own ticket types only: its buyers never reach the public shop's (or
/// another shop's) types through it, so an order placed there is that shop's sale.
fn check_shop(input: &PricingInput<'_>, problems: &mut Vec<FieldError>) {
    let Some(shop) = input.shop else {
        return;
    };
    for (index, item) in input.cart.items.iter().enumerate() {
        if let Some(t) = input
            .stock
            .ticket_types
            .iter()
            .find(|t| t.id == item.ticket_type_id)
        {
            if t.shop_id.as_ref() != Some(shop) {
                problems.push(FieldError::new(
                    format!("items[{index}].ticket_type_id"),
                    format!("`{}` is not sold in this shop", t.name),
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
                short_of: t.short_of.and_then(label_of),
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
    use fullhouse_ticketing::SeatId;

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
