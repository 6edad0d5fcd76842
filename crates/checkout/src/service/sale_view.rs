//! What an event has on sale for one buyer: the storefront's event page, the box office's seat
//! map and the JSON storefront all read it.

use std::collections::HashSet;

use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::sale_facts::{SeatScope, StockSeat, StockTicketType};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::{CustomerId, EventId, ShopId};
use sea_orm::TransactionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Checkout, Pricing, PricingFor};
use crate::codes::CodeGrant;
use crate::model::*;
use crate::payment::PaymentProvider;

/// What the storefront shows for an event: what is on sale to this buyer (with their codes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaleView {
    #[schema(value_type = Object)]
    pub event: Event,
    pub ticket_types: Vec<OfferedType>,
    pub seats: Vec<SeatOffer>,
    pub ga_areas: Vec<GaOffer>,
    pub codes: Vec<CodeOutcome>,
    /// The member prices of the signed-in buyer (loyalty: no code to type), per ticket type.
    pub member_prices: Vec<MemberPrice>,
    /// The payment provider is the test provider: no money moves.
    pub test_payments: bool,
    pub payment_label: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferedType {
    pub id: fullhouse_ticketing::TicketTypeId,
    pub name: String,
    pub category: Option<String>,
    /// The list price.
    pub price_minor: i64,
    /// What this buyer pays for one ticket of the type, with the codes they typed: the list
    /// price, or less when a code's discount applies (priced by the one pricing rule).
    pub best_price_minor: i64,
    /// The discount that makes [`Self::best_price_minor`] lower than the list price: its kind
    /// and the name of the campaign it comes from ("20 % off — Friends of the house").
    pub discount: Option<OfferedDiscount>,
    pub currency: String,
    /// Places left of the type's own limit (`None`: no limit of its own).
    pub left: Option<i64>,
    /// General admission (a quantity) rather than seats.
    pub general_admission: bool,
    /// The code that made this hidden type visible.
    pub unlocked_by: Option<String>,
}

/// A discount a buyer's code gives on a ticket type, as the shop names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferedDiscount {
    pub kind: crate::codes::DiscountKind,
    /// The campaign's public name.
    pub label: String,
}

impl OfferedType {
    /// A code lowers this buyer's price below the list price.
    pub fn discounted(&self) -> bool {
        self.best_price_minor < self.price_minor
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatState {
    Available,
    Sold,
    /// Held back for codes; a code the buyer typed unlocks it (`Unlocked`) or not.
    Held,
    Unlocked,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeatOffer {
    pub seat: SeatView,
    pub state: SeatState,
}

/// A price a signed-in member pays without typing a code, named by its campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberPrice {
    /// The campaign's public name ("Friends of the house").
    pub label: String,
    pub ticket_type_id: fullhouse_ticketing::TicketTypeId,
    pub ticket_type: String,
    pub list_minor: i64,
    pub member_minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GaOffer {
    pub id: fullhouse_ticketing::GaAreaId,
    pub name: String,
    pub left: i64,
}

impl Checkout {
    /// What is on sale for an event to a buyer holding `codes`.
    pub async fn sale_view(
        &self,
        org: &OrgId,
        event: &EventId,
        codes: &[String],
        channel: Channel,
    ) -> Result<SaleView> {
        self.sale_view_for(org, event, codes, channel, None, None)
            .await
    }

    /// What is on sale for an event in a secret shop (`Some`: that shop's own types only) or
    /// the public shop.
    pub async fn sale_view_in(
        &self,
        org: &OrgId,
        event: &EventId,
        codes: &[String],
        channel: Channel,
        shop: Option<&ShopId>,
    ) -> Result<SaleView> {
        self.sale_view_for(org, event, codes, channel, None, shop)
            .await
    }

    /// [`Checkout::sale_view_in`] for an identified customer (a buyer signed in by a mailed
    /// link): their loyalty prices and the codes bound to them count.
    pub async fn sale_view_for(
        &self,
        org: &OrgId,
        event: &EventId,
        codes: &[String],
        channel: Channel,
        customer: Option<&CustomerId>,
        shop: Option<&ShopId>,
    ) -> Result<SaleView> {
        let codes = clean_codes(codes).map_err(|f| Error::invalid_fields(vec![f]))?;
        let event_row = CatalogService::new(self.db.clone())
            .event(org, event)
            .await?;
        let cart = Cart {
            referral_code: None,
            event_id: event.clone(),
            items: Vec::new(),
            codes: codes.clone(),
            customer_id: None,
        };
        let txn = self.db.reader().begin().await?;
        let pricing = self
            .pricing(
                &txn,
                org,
                PricingFor {
                    cart: &cart,
                    codes: &codes,
                    customer: customer.cloned(),
                    identified: customer.is_some(),
                    channel,
                    scope: SeatScope::All,
                },
            )
            .await?;
        txn.rollback().await?;
        let input = pricing.input(&cart, channel, shop);
        let priced = price(&input);
        let outcomes = code_outcomes(&input, &priced);
        Ok(sale_view_of(
            event_row,
            &pricing,
            outcomes,
            (channel, shop),
            self.payments.as_ref(),
        ))
    }
}

/// What one ticket of `ticket_type` costs this buyer, and the discount that brings it there:
/// a one-ticket cart priced by the one pricing rule (so a shown price is the price charged). A
/// seated type is priced on one of its free seats; with none left, at its list price.
fn one_ticket_price(
    pricing: &Pricing,
    ticket_type: &StockTicketType,
    (channel, shop): (Channel, Option<&ShopId>),
) -> (i64, Option<OfferedDiscount>) {
    let list = (ticket_type.price_minor, None);
    let seats = if ticket_type.ga_area_id.is_some() {
        Vec::new()
    } else {
        let fits = |s: &&StockSeat| {
            !s.sold
                && match (&ticket_type.category, &s.category) {
                    (None, _) => true,
                    (Some(t), Some(c)) => t.trim().eq_ignore_ascii_case(c.trim()),
                    (Some(_), None) => false,
                }
        };
        let free = pricing.stock.seats.iter().filter(fits);
        let open = free
            .clone()
            .find(|s| !is_held(s, &pricing.held))
            .or_else(|| free.clone().next());
        match open {
            Some(seat) => vec![SeatChoice {
                seat_id: Some(seat.id.clone()),
                seat: None,
            }],
            None => return list,
        }
    };
    let cart = Cart {
        referral_code: None,
        event_id: pricing.stock.event_id.clone(),
        items: vec![CartItem {
            ticket_type_id: ticket_type.id.clone(),
            quantity: seats.is_empty().then_some(1),
            seats,
            ga_name: None,
        }],
        codes: pricing.typed.iter().map(|t| t.code.clone()).collect(),
        customer_id: None,
    };
    let priced = price(&pricing.input(&cart, channel, shop));
    let Some(ticket) = priced.tickets.first() else {
        return list;
    };
    let discount = ticket
        .grant
        .and_then(|g| priced.grants.get(g))
        .and_then(|u| u.grant.discount.as_ref().map(|d| (d, &u.grant.label)))
        .filter(|_| ticket.price_minor < ticket.list_price_minor)
        .map(|(d, label)| OfferedDiscount {
            kind: d.kind,
            label: label.clone(),
        });
    match discount {
        Some(discount) => (ticket.price_minor, Some(discount)),
        None => list,
    }
}

fn sale_view_of(
    event: Event,
    pricing: &Pricing,
    codes: Vec<CodeOutcome>,
    (channel, shop): (Channel, Option<&ShopId>),
    payments: &dyn PaymentProvider,
) -> SaleView {
    let grants: Vec<(&String, &CodeGrant)> = pricing
        .typed
        .iter()
        .filter_map(|t| t.grant.as_ref().map(|g| (&t.code, g)))
        .filter(|(_, g)| g.remaining.is_none_or(|r| r > 0))
        .collect();
    let online = channel == Channel::Online;
    let ticket_types: Vec<OfferedType> = pricing
        .stock
        .ticket_types
        .iter()
        .filter_map(|t| {
            let unlocked_by = grants
                .iter()
                .find(|(_, g)| {
                    g.unlocks_ticket_types.contains(&t.id)
                        || t.category.as_deref().is_some_and(|c| {
                            g.unlocks_categories
                                .iter()
                                .any(|u| u.trim().eq_ignore_ascii_case(c.trim()))
                        })
                })
                .map(|(code, _)| (*code).clone());
            let locked = is_locked_in(t, shop);
            if locked && unlocked_by.is_none() {
                return None;
            }
            // A secret shop shows its own types only: never the public shop's or another's.
            if shop.is_some() && t.shop_id.as_ref() != shop {
                return None;
            }
            let (best_price_minor, discount) = one_ticket_price(pricing, t, (channel, shop));
            Some(OfferedType {
                id: t.id.clone(),
                name: t.name.clone(),
                category: t.category.clone(),
                price_minor: t.price_minor,
                best_price_minor,
                discount,
                currency: t.currency.clone(),
                left: t.left(),
                general_admission: t.ga_area_id.is_some(),
                unlocked_by: if locked { unlocked_by } else { None },
            })
        })
        .collect();
    let unlocked_seats: HashSet<_> = codes
        .iter()
        .filter(|c| matches!(c.status, CodeStatus::Applied | CodeStatus::Valid))
        .filter_map(|c| c.grant.as_ref())
        .flat_map(|g| g.unlocks_seats.iter().cloned())
        .collect();
    let seats = pricing
        .stock
        .seats
        .iter()
        .map(|s| {
            let state = if s.sold {
                SeatState::Sold
            } else if unlocked_seats.contains(&s.id) {
                SeatState::Unlocked
            } else if online && is_held(s, &pricing.held) {
                SeatState::Held
            } else {
                SeatState::Available
            };
            SeatOffer {
                seat: SeatView {
                    id: s.id.clone(),
                    section_name: s.section_name.clone(),
                    group_name: s.group_name.clone(),
                    row_name: s.row_name.clone(),
                    seat_label: s.seat_label.clone(),
                    category: s.category.clone(),
                },
                state,
            }
        })
        .collect();
    let ga_areas = pricing
        .stock
        .ga_areas
        .iter()
        .map(|a| GaOffer {
            id: a.id.clone(),
            name: a.name.clone(),
            left: (a.capacity - a.sold).max(0),
        })
        .collect();
    let member_prices = member_prices(&pricing.automatic, &ticket_types);
    SaleView {
        event,
        member_prices,
        ticket_types,
        seats,
        ga_areas,
        codes,
        test_payments: payments.is_test(),
        payment_label: payments.label().to_string(),
    }
}

/// What the member's automatic grants (loyalty) make each offered ticket type cost.
fn member_prices(automatic: &[CodeGrant], offered: &[OfferedType]) -> Vec<MemberPrice> {
    let mut prices = Vec::new();
    for grant in automatic {
        let Some(discount) = &grant.discount else {
            continue;
        };
        if grant.remaining.is_some_and(|r| r <= 0) {
            continue;
        }
        for t in offered {
            if !discount.ticket_types.is_empty() && !discount.ticket_types.contains(&t.id) {
                continue;
            }
            prices.push(MemberPrice {
                label: grant.label.clone(),
                ticket_type_id: t.id.clone(),
                ticket_type: t.name.clone(),
                list_minor: t.price_minor,
                member_minor: discounted(t.price_minor, discount.kind),
                currency: t.currency.clone(),
            });
        }
    }
    prices
}
