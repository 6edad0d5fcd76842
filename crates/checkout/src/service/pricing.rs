//! Pricing a cart for an order: what a cart is priced with ([`Pricing`]), the order it becomes
//! ([`priced_order`]), and the code uses it takes ([`takes_of`]). Split from `service.rs` so that
//! the placing path (transactions, retries) and the pricing it calls read apart.

use std::sync::Arc;

use fullhouse_core::{Error, Result};
use fullhouse_ticketing::model::orders::{Channel, NewOrder, NewTicket};
use fullhouse_ticketing::service::sale_facts::{EventStock, SeatScope};
use fullhouse_ticketing::{CustomerId, OrderId, ShopId};

use super::{terms, PlaceOrder, SaleTerms};
use crate::codes::{CodeContext, CodeGrant, UseTake};
use crate::model::*;

/// What to price: a cart, its cleaned codes, the buyer, the channel and which seats to read.
pub(super) struct PricingFor<'a> {
    pub(super) cart: &'a Cart,
    pub(super) codes: &'a [String],
    pub(super) customer: Option<CustomerId>,
    /// The customer was named by the seller (box office, API), not only by an email a buyer
    /// typed. Loyalty needs no code, so it applies only then: otherwise typing a member's email
    /// would be enough to get the member's price.
    pub(super) identified: bool,
    pub(super) channel: Channel,
    pub(super) scope: SeatScope,
}

/// Everything a cart was priced with.
pub(super) struct Pricing {
    /// Shared: the orders of a group on one event price against the same read.
    pub(super) stock: Arc<EventStock>,
    pub(super) typed: Vec<TypedCode>,
    pub(super) automatic: Vec<CodeGrant>,
    pub(super) held: Vec<String>,
    pub(super) context: CodeContext,
}

impl Pricing {
    pub(super) fn input<'a>(
        &'a self,
        cart: &'a Cart,
        channel: Channel,
        shop: Option<&'a ShopId>,
    ) -> PricingInput<'a> {
        PricingInput {
            shop,
            stock: &self.stock,
            cart,
            codes: &self.typed,
            automatic: &self.automatic,
            held_seats: &self.held,
            channel,
            now: self.context.now,
        }
    }
}

/// The customer an order's codes are used by. Online, only a customer the server itself put in
/// the cart counts (a buyer signed in by a mailed link; the storefront refuses a customer id
/// from the client): a typed email is no proof, so a code bound to a customer works for that
/// signed-in customer only, and anyone else gets the answer of a wrong code. At the box office
/// the seller vouches for the buyer they name.
pub(super) fn code_customer(
    request: &PlaceOrder,
    customer: Option<&CustomerId>,
) -> Option<CustomerId> {
    match request.channel {
        Channel::Online => request.cart.customer_id.clone(),
        _ => customer.cloned(),
    }
}

/// Prices one order (alone or in a group): refused when the event is not on sale or the cart is
/// wrong (422) or its places or uses are gone (409); else the prices and the order to book.
pub(super) fn priced_order(
    request: &PlaceOrder,
    pricing: &Pricing,
    customer: Option<CustomerId>,
    shop: Option<&ShopId>,
    terms: SaleTerms,
) -> Result<(Priced, NewOrder)> {
    if pricing.stock.status != "scheduled" {
        return Err(Error::invalid(
            "event_id",
            format!("the event is {}, not on sale", pricing.stock.status),
        ));
    }
    let mut priced = price(&pricing.input(&request.cart, request.channel, shop));
    if terms.complimentary {
        terms::give_away(&mut priced);
    }
    if !priced.problems.is_empty() {
        return Err(Error::invalid_fields(priced.problems));
    }
    if let Some(first) = priced.conflicts.first() {
        return Err(Error::conflict(first.field.clone(), first.reason.clone()));
    }
    let new_order = NewOrder {
        referral_code: request.cart.referral_code.clone(),
        customer_id: customer,
        channel: request.channel,
        external_id: None,
        created_at: None,
        tickets: priced.tickets.iter().map(new_ticket).collect(),
    };
    Ok((priced, new_order))
}

/// The uses an order takes of each grant it applies, with the grant's label and the field a
/// refusal points at (`codes[i]`, or `customer_id` for a grant without a code).
pub(super) fn takes_of(
    pricing: &Pricing,
    priced: &Priced,
    order_id: &OrderId,
    customer: Option<CustomerId>,
) -> Vec<(UseTake, String, String)> {
    priced
        .uses_per_grant()
        .into_iter()
        .filter_map(|(g, uses)| {
            let usable = priced.grants.get(g)?;
            let field = usable
                .typed
                .map_or("customer_id".to_string(), |i| format!("codes[{i}]"));
            Some((
                UseTake {
                    key: usable.grant.key.clone(),
                    code: usable.grant.code.clone(),
                    order_id: order_id.clone(),
                    event_id: pricing.stock.event_id.clone(),
                    production_id: pricing.stock.production_id.clone(),
                    customer_id: customer.clone(),
                    uses,
                },
                usable.grant.label.clone(),
                field,
            ))
        })
        .collect()
}

/// The 409 of a take the code's quantity has no room for.
pub(super) fn no_uses_left(take: &UseTake, label: &str, field: &str) -> Error {
    let code = take.code.clone().unwrap_or(label.to_string());
    Error::conflict(
        field,
        format!("code {code} has no uses left for this order"),
    )
}

/// The seats a cart names, by id and by label.
pub(super) fn cart_seats(cart: &Cart) -> SeatScope {
    let choices = || cart.items.iter().flat_map(|i| i.seats.iter());
    SeatScope::Only {
        ids: choices().filter_map(|c| c.seat_id.clone()).collect(),
        labels: choices()
            .filter_map(|c| c.seat.as_ref().map(|n| n.seat_label.trim().to_string()))
            .collect(),
    }
}

pub(super) fn new_ticket(ticket: &PricedTicket) -> NewTicket {
    let mut new = NewTicket::of_type(ticket.ticket_type.id.clone());
    new.event_id = None;
    new.seat_id = ticket.seat.as_ref().map(|s| s.id.clone());
    if ticket.ticket_type.ga_area_id.is_none() {
        new.ga_name = ticket.ga_name.clone();
    }
    new.price_minor = Some(ticket.price_minor);
    new
}
