//! Which grant each ticket of a cart uses, and how many tickets a grant may cover: the locks
//! (hidden types, held seats) and the one capacity rule (README, "One price rule for every
//! counter").

use fullhouse_core::FieldError;
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::sale_facts::{StockSeat, StockTicketType};
use fullhouse_ticketing::ShopId;

use super::{discounted, seat_matches, seat_name, PricedTicket, PricingInput, UsableGrant};
use crate::codes::{CodeGrant, Counting};

/// Whether a ticket type is closed to open sale on every channel: hidden, or in a secret shop.
/// Such a type is sold only with a grant that unlocks it (a code, or a loyalty membership of an
/// identified customer) — online, at the box office and through the API alike, so a seat is
/// never priced at a code-only price without the code.
pub fn is_locked(ticket_type: &StockTicketType) -> bool {
    is_locked_in(ticket_type, None)
}

/// Whether a ticket type is closed to a sale made in `shop` (`None`: the public shop, the box
/// office, the API). Being in a secret shop is what unlocks exactly that shop's own types, with
/// no code: the shop's unguessable address is the key. A hidden type stays locked everywhere.
pub fn is_locked_in(ticket_type: &StockTicketType, shop: Option<&ShopId>) -> bool {
    ticket_type.hidden
        || ticket_type
            .shop_id
            .as_ref()
            .is_some_and(|own| Some(own) != shop)
}

pub(super) fn grant_unlocks_type(grant: &CodeGrant, ticket_type: &StockTicketType) -> bool {
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

/// How many tickets of one order a grant may cover, and which of its limits says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub tickets: u64,
    pub bound_by: Bound,
}

/// The limit that caps what a grant covers in an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Nothing caps it.
    Unlimited,
    /// The grant's most tickets per order.
    PerOrder,
    /// The uses the code has left (one per ticket, or one per order for a code counted per
    /// order: then none left means none covered).
    UsesLeft,
}

/// The one capacity rule: the smaller of the per-order limit and, for a grant counted per ticket,
/// the uses left; a grant counted per order covers nothing once its uses are gone.
pub fn capacity(grant: &CodeGrant) -> Capacity {
    let per_order = grant.max_tickets_per_order.map(u64::from);
    let uses_left = grant.remaining.map(|left| {
        let left = u64::try_from(left.max(0)).unwrap_or(0);
        match grant.counting {
            Counting::PerTicket => left,
            Counting::PerOrder if left > 0 => u64::MAX,
            Counting::PerOrder => 0,
        }
    });
    match (per_order, uses_left) {
        (None, None) => Capacity {
            tickets: u64::MAX,
            bound_by: Bound::Unlimited,
        },
        (Some(limit), None) => Capacity {
            tickets: limit,
            bound_by: Bound::PerOrder,
        },
        (None, Some(left)) => Capacity {
            tickets: left,
            bound_by: Bound::UsesLeft,
        },
        (Some(limit), Some(left)) if left < limit => Capacity {
            tickets: left,
            bound_by: Bound::UsesLeft,
        },
        (Some(limit), Some(_)) => Capacity {
            tickets: limit,
            bound_by: Bound::PerOrder,
        },
    }
}

/// Gives each ticket the grant it uses — one that unlocks it when it needs unlocking, else the
/// one with the lowest price for it — within each grant's [`capacity`].
///
/// What a typed code cannot cover is never sold quietly at another price: when the tickets that
/// ask a typed code for its price or its unlocking outnumber what it may cover, the order is
/// refused on that code, whichever limit is short (the per-order limit: 422, the uses left: 409,
/// since they can run out between quote and order). Loyalty, which nobody typed, covers what it
/// can and leaves the rest at list price, marked on their lines.
///
/// Tickets that need unlocking are served first, then the dearest: a limited grant goes where
/// it opens a sale or saves the most.
pub(super) fn assign_grants(
    input: &PricingInput<'_>,
    grants: &[UsableGrant],
    tickets: &mut [PricedTicket],
    priced_problems: (&mut Vec<FieldError>, &mut Vec<FieldError>),
) {
    let (problems, conflicts) = priced_problems;
    let online = input.channel == Channel::Online;
    let capacities: Vec<Capacity> = grants.iter().map(|u| capacity(&u.grant)).collect();
    let mut served: Vec<u64> = vec![0; grants.len()];
    let mut asked: Vec<u64> = vec![0; grants.len()];
    let has_room = |served: &[u64], g: usize| {
        served.get(g).copied().unwrap_or(0) < capacities.get(g).map_or(0, |c| c.tickets)
    };
    let needs_unlock = |ticket: &PricedTicket| {
        is_locked_in(&ticket.ticket_type, input.shop)
            || (online
                && ticket
                    .seat
                    .as_ref()
                    .is_some_and(|s| is_held(s, input.held_seats)))
    };
    let mut order: Vec<usize> = (0..tickets.len()).collect();
    order.sort_by_key(|&i| {
        tickets
            .get(i)
            .map(|t| (!needs_unlock(t), std::cmp::Reverse(t.list_price_minor), i))
    });
    for i in order {
        let Some(ticket) = tickets.get_mut(i) else {
            continue;
        };
        let type_locked = is_locked_in(&ticket.ticket_type, input.shop);
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
        let unlock = type_locked || seat_held;
        let price_with = |g: usize| {
            grants
                .get(g)
                .and_then(|u| u.grant.discount.as_ref())
                .filter(|_| grant_discounts_at(grants, g, &ticket.ticket_type))
                .map_or(ticket.list_price_minor, |d| {
                    discounted(ticket.list_price_minor, d.kind)
                })
        };
        let eligible: Vec<usize> = grants
            .iter()
            .enumerate()
            .filter(|(_, u)| {
                if unlock {
                    opens(u)
                } else {
                    grant_discounts(&u.grant, &ticket.ticket_type)
                }
            })
            .map(|(g, _)| g)
            .collect();
        let best_with_room = eligible
            .iter()
            .copied()
            .filter(|g| has_room(&served, *g))
            .min_by_key(|g| price_with(*g));
        let best_of_all = eligible.iter().copied().min_by_key(|g| price_with(*g));
        // What each grant was asked for: the tickets it covers, and those it was the best
        // grant for but had no room left.
        if let Some(g) = best_with_room.or(best_of_all) {
            if let Some(n) = asked.get_mut(g) {
                *n += 1;
            }
        }
        match best_with_room {
            Some(g) => {
                if let Some(n) = served.get_mut(g) {
                    *n += 1;
                }
                ticket.grant = Some(g);
            }
            None if eligible.is_empty() && unlock => {
                let what = match (&ticket.seat, type_locked) {
                    (Some(seat), false) => format!("seat {} is reserved", seat_name(seat)),
                    _ => format!("`{}` is not on open sale", ticket.ticket_type.name),
                };
                problems.push(FieldError::new(
                    format!("items[{}].ticket_type_id", ticket.item),
                    format!("{what}: it needs a code that unlocks it"),
                ));
            }
            None => {
                // Short of a grant: a typed code refuses the order below; loyalty leaves this
                // ticket at list price, said on its line (or unsold when only it opens the sale).
                ticket.short_of = best_of_all;
                let automatic = best_of_all
                    .and_then(|g| grants.get(g))
                    .is_some_and(|u| u.typed.is_none());
                if unlock && automatic {
                    problems.push(FieldError::new(
                        format!("items[{}].ticket_type_id", ticket.item),
                        format!(
                            "`{}` is not on open sale, and the membership that unlocks it has no uses left for this ticket",
                            ticket.ticket_type.name
                        ),
                    ));
                }
            }
        }
    }
    for (g, usable) in grants.iter().enumerate() {
        let wanted = asked.get(g).copied().unwrap_or(0);
        let Some(cap) = capacities.get(g) else {
            continue;
        };
        let Some(index) = usable.typed else {
            continue;
        };
        if wanted <= cap.tickets {
            continue;
        }
        let code = input
            .codes
            .get(index)
            .map_or(usable.grant.label.clone(), |t| t.code.clone());
        let field = format!("codes[{index}]");
        let tickets_word = |n: u64| if n == 1 { "ticket" } else { "tickets" };
        match cap.bound_by {
            Bound::UsesLeft if cap.tickets == 0 => conflicts.push(FieldError::new(
                field,
                format!("code {code} has been used up"),
            )),
            Bound::UsesLeft => conflicts.push(FieldError::new(
                field,
                format!(
                    "code {code} has {} uses left; this order asks it for {wanted} {}",
                    cap.tickets,
                    tickets_word(wanted)
                ),
            )),
            Bound::PerOrder | Bound::Unlimited => problems.push(FieldError::new(
                field,
                format!(
                    "code {code} covers at most {} {} in one order; this order asks it for {wanted}",
                    cap.tickets,
                    tickets_word(cap.tickets)
                ),
            )),
        }
    }
}

fn grant_discounts_at(grants: &[UsableGrant], g: usize, ticket_type: &StockTicketType) -> bool {
    grants
        .get(g)
        .is_some_and(|u| grant_discounts(&u.grant, ticket_type))
}
