//! What an organizer reads about a campaign beyond its code counters ([`super::report`]): the
//! money that came through it, the discount it gave, how much of what it offers is taken, each
//! use with its order, channel and buyer, and the codes nobody has used.
//!
//! Money is read from the orders themselves (ticketing's), once per order however many codes of
//! the campaign it used. The discount of a ticket is its type's list price less what was paid —
//! the same reading the order page and the confirmation mail make, since checkout keeps no list
//! price per ticket. An order that used codes of two campaigns counts its whole discount for
//! each: checkout does not record which grant lowered which ticket.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use fullhouse_core::http::PageParams;
use fullhouse_core::ids::OrgId;
use fullhouse_core::{Db, Result};
use fullhouse_ticketing::model::catalog::EventFilter;
use fullhouse_ticketing::model::orders::{Channel, Order, OrderSource};
use fullhouse_ticketing::service::{CatalogService, CustomerService, OrderService};
use fullhouse_ticketing::{CustomerId, OrderId, TicketTypeId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::model::{Campaign, LimitScope};
use super::store::campaign_redemptions as redemptions;
use crate::store::audience_members as members;

/// An amount in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub minor: i64,
    pub currency: String,
}

/// Where a use was sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseChannel {
    /// The public shop or a secret shop (online, paid by the buyer).
    Storefront,
    /// The box office counter (and purchase intents, which checkout sells as the box office or
    /// online: it keeps no mark that tells them apart).
    BoxOffice,
    /// Ticketing's order API with an API token.
    Api,
}

impl UseChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Storefront => "storefront",
            Self::BoxOffice => "box_office",
            Self::Api => "api",
        }
    }

    fn of(order: &Order) -> Self {
        match (order.source, order.channel) {
            (OrderSource::Api, _) => Self::Api,
            (_, Channel::BoxOffice) => Self::BoxOffice,
            (_, Channel::Online) => Self::Storefront,
        }
    }
}

/// Who bought.
#[derive(Debug, Clone, PartialEq)]
pub struct Buyer {
    pub id: CustomerId,
    pub name: String,
    pub email: Option<String>,
}

/// One use of a code: one standing redemption.
#[derive(Debug, Clone, PartialEq)]
pub struct UseLine {
    pub at: DateTime<Utc>,
    pub code: String,
    pub uses: i64,
    pub order_id: OrderId,
    /// Paid, or held by an order awaiting payment.
    pub paid: bool,
    pub channel: UseChannel,
    pub buyer: Option<Buyer>,
    /// The order's total and the discount its tickets got.
    pub order_total: Amount,
    pub order_discount: Amount,
}

/// A code of the campaign's audiences that no standing order uses.
#[derive(Debug, Clone, PartialEq)]
pub struct UnusedCode {
    pub code: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignFigures {
    /// The totals of paid orders that used the campaign, per currency.
    pub revenue: Vec<Amount>,
    /// The totals of orders awaiting payment that hold uses.
    pub held_revenue: Vec<Amount>,
    /// What the tickets of paid orders were given off their list price.
    pub discount: Vec<Amount>,
    pub held_discount: Vec<Amount>,
    /// Uses taken by standing orders, paid or held.
    pub uses_taken: i64,
    /// Every use the campaign offers: its codes' quantities, once per event when counted per
    /// event.
    pub uses_available: i64,
    /// Every standing use, oldest first.
    pub uses: Vec<UseLine>,
    /// Codes without a standing use, in code order.
    pub unused: Vec<UnusedCode>,
}

impl CampaignFigures {
    /// Uses taken of uses available, in percent with one decimal (`None` when nothing is
    /// available).
    pub fn redemption_rate(&self) -> Option<f64> {
        (self.uses_available > 0)
            .then(|| (self.uses_taken as f64 * 1000.0 / self.uses_available as f64).round() / 10.0)
    }
}

/// Money per currency, in the order currencies first appear.
#[derive(Default)]
struct Sums(Vec<Amount>);

impl Sums {
    fn add(&mut self, minor: i64, currency: &str) {
        match self.0.iter_mut().find(|a| a.currency == currency) {
            Some(amount) => amount.minor += minor,
            None => self.0.push(Amount {
                minor,
                currency: currency.to_string(),
            }),
        }
    }
}

/// The figures of `campaign`, known to be the organization's.
pub(super) async fn figures(db: &Db, org: &OrgId, campaign: &Campaign) -> Result<CampaignFigures> {
    let conn = db.reader();
    let standing = redemptions::Entity::find()
        .filter(redemptions::Column::OrganizationId.eq(org.as_str()))
        .filter(redemptions::Column::CampaignId.eq(campaign.id.as_str()))
        .filter(redemptions::Column::ReturnedAt.is_null())
        .order_by_asc(redemptions::Column::CreatedAt)
        .order_by_asc(redemptions::Column::Id)
        .all(conn)
        .await?;
    let order_ids: Vec<OrderId> = standing
        .iter()
        .map(|r| OrderId::from_db(r.order_id.clone()))
        .collect();
    let orders: HashMap<String, Order> = OrderService::new(db.clone())
        .orders_by_id(org, &order_ids)
        .await?
        .into_iter()
        .map(|o| (o.id.to_string(), o))
        .collect();
    let list_prices = list_prices(db, org, orders.values()).await?;
    let buyers = buyers(db, org, orders.values()).await?;

    let mut revenue = Sums::default();
    let mut held_revenue = Sums::default();
    let mut discount = Sums::default();
    let mut held_discount = Sums::default();
    let mut counted = HashSet::new();
    let mut uses = Vec::with_capacity(standing.len());
    for r in &standing {
        let Some(order) = orders.get(&r.order_id) else {
            continue;
        };
        let paid = r.paid_at.is_some();
        let off: i64 = order
            .tickets
            .iter()
            .map(|t| {
                let list = list_prices
                    .get(&t.ticket_type_id)
                    .copied()
                    .unwrap_or(t.price_minor);
                (list - t.price_minor).max(0)
            })
            .sum();
        if counted.insert(order.id.to_string()) {
            let (money, given) = if paid {
                (&mut revenue, &mut discount)
            } else {
                (&mut held_revenue, &mut held_discount)
            };
            money.add(order.total_minor, &order.currency);
            given.add(off, &order.currency);
        }
        uses.push(UseLine {
            at: r.created_at,
            code: r.code.clone(),
            uses: r.uses,
            order_id: order.id.clone(),
            paid,
            channel: UseChannel::of(order),
            buyer: order
                .customer_id
                .as_ref()
                .and_then(|c| buyers.get(c.as_str()).cloned()),
            order_total: Amount {
                minor: order.total_minor,
                currency: order.currency.clone(),
            },
            order_discount: Amount {
                minor: off,
                currency: order.currency.clone(),
            },
        });
    }

    let used_members: HashSet<&str> = standing.iter().map(|r| r.member_id.as_str()).collect();
    let audience_ids: Vec<&str> = campaign.audience_ids.iter().map(|a| a.as_str()).collect();
    let codes: Vec<(String, String, i64)> = members::Entity::find()
        .select_only()
        .column(members::Column::Id)
        .column(members::Column::Code)
        .column(members::Column::Quantity)
        .filter(members::Column::OrganizationId.eq(org.as_str()))
        .filter(members::Column::AudienceId.is_in(audience_ids))
        .order_by_asc(members::Column::Code)
        .into_tuple()
        .all(conn)
        .await?;
    let quantities: i64 = codes.iter().map(|(_, _, q)| *q).sum();
    let unused = codes
        .into_iter()
        .filter(|(id, _, _)| !used_members.contains(id.as_str()))
        .map(|(_, code, quantity)| UnusedCode { code, quantity })
        .collect();
    let counters = match campaign.limit_scope {
        LimitScope::AcrossEvents => 1,
        LimitScope::PerEvent => event_count(db, org, campaign).await?.max(1),
    };
    Ok(CampaignFigures {
        revenue: revenue.0,
        held_revenue: held_revenue.0,
        discount: discount.0,
        held_discount: held_discount.0,
        uses_taken: standing.iter().map(|r| r.uses).sum(),
        uses_available: quantities.saturating_mul(counters),
        uses,
        unused,
    })
}

/// The list price of each ticket type the orders sold.
async fn list_prices<'a>(
    db: &Db,
    org: &OrgId,
    orders: impl Iterator<Item = &'a Order>,
) -> Result<HashMap<TicketTypeId, i64>> {
    let types: HashSet<TicketTypeId> = orders
        .flat_map(|o| o.tickets.iter().map(|t| t.ticket_type_id.clone()))
        .collect();
    let catalog = CatalogService::new(db.clone());
    let mut prices = HashMap::with_capacity(types.len());
    for id in types {
        // A ticket type deleted since has no list price: its tickets count no discount.
        if let Ok(found) = catalog.ticket_type(org, &id).await {
            prices.insert(id, found.price_minor);
        }
    }
    Ok(prices)
}

/// The buyers of the orders, by customer id.
async fn buyers<'a>(
    db: &Db,
    org: &OrgId,
    orders: impl Iterator<Item = &'a Order>,
) -> Result<BTreeMap<String, Buyer>> {
    let ids: Vec<CustomerId> = orders
        .filter_map(|o| o.customer_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    Ok(CustomerService::new(db.clone())
        .customers_by_id(org, &ids)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id.to_string(),
                Buyer {
                    name: c.display_name(),
                    email: c.email.clone(),
                    id: c.id,
                },
            )
        })
        .collect())
}

/// The events the campaign applies to: its own and those of its productions.
async fn event_count(db: &Db, org: &OrgId, campaign: &Campaign) -> Result<i64> {
    let catalog = CatalogService::new(db.clone());
    let mut events: HashSet<String> = campaign.event_ids.iter().map(|e| e.to_string()).collect();
    for production in &campaign.production_ids {
        let mut params = PageParams {
            cursor: None,
            limit: Some(PageParams::MAX_LIMIT),
        };
        loop {
            let filter = EventFilter {
                production_id: Some(production.clone()),
                ..EventFilter::default()
            };
            let page = catalog.list_events(org, &filter, &params).await?;
            events.extend(page.items.iter().map(|e| e.id.to_string()));
            match page.next_cursor {
                Some(cursor) => params.cursor = Some(cursor),
                None => break,
            }
        }
    }
    Ok(i64::try_from(events.len()).unwrap_or(i64::MAX))
}
