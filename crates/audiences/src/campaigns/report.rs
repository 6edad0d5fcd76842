//! The redemption report of a campaign. Uses are taken when an order is placed; an online order
//! holds them while it awaits payment and gives them back if its hold runs out or it is
//! cancelled (checkout calls `give_back_uses`, which stamps `returned_at`), and checkout tells the
//! rules when an order is paid (`uses_paid`, which stamps `paid_at`). So the report tells uses of
//! paid orders from uses held by unpaid ones: both are gone from what is left, only the paid ones
//! are sales. Orders whose uses were given back (expired, cancelled, refunded) are not in it.

use std::collections::BTreeMap;

use fullhouse_core::ids::OrgId;
use fullhouse_core::Result;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::CampaignId;
use super::store::{campaign_code_uses as uses, campaign_redemptions as redemptions};
use crate::store::audience_members as members;

/// How one code of a campaign has been used.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CodeReport {
    pub code: String,
    pub quantity: i64,
    /// Uses taken by orders that stand, paid or held (per event, or across events, as the
    /// campaign counts): `paid_uses + held_uses`.
    pub used: i64,
    /// Uses of paid orders.
    pub paid_uses: i64,
    /// Uses held by orders awaiting payment.
    pub held_uses: i64,
    /// `quantity - used`, for the counter with the fewest left (held uses count as taken).
    pub remaining: i64,
    /// Every order that stands: `paid_orders` then `held_orders`.
    pub orders: Vec<String>,
    pub paid_orders: Vec<String>,
    pub held_orders: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CampaignReport {
    pub campaign_id: CampaignId,
    pub codes_used: i64,
    /// Uses of every standing order: `paid_uses + held_uses`.
    pub uses: i64,
    pub paid_uses: i64,
    pub held_uses: i64,
    /// Standing orders: `paid_orders + held_orders`.
    pub orders: i64,
    pub paid_orders: i64,
    /// Orders awaiting payment that hold uses.
    pub held_orders: i64,
    /// Codes with at least one use, most used first.
    pub codes: Vec<CodeReport>,
}

/// The report of a campaign known to be the organization's: one read of its standing
/// redemptions, one of its counters and one of its members' quantities.
pub(super) async fn report(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    id: &CampaignId,
) -> Result<CampaignReport> {
    let standing = redemptions::Entity::find()
        .filter(redemptions::Column::OrganizationId.eq(org.as_str()))
        .filter(redemptions::Column::CampaignId.eq(id.as_str()))
        .filter(redemptions::Column::ReturnedAt.is_null())
        .order_by_asc(redemptions::Column::Id)
        .all(conn)
        .await?;
    let counters = uses::Entity::find()
        .filter(uses::Column::OrganizationId.eq(org.as_str()))
        .filter(uses::Column::CampaignId.eq(id.as_str()))
        .all(conn)
        .await?;
    let mut by_member: BTreeMap<String, Tally> = BTreeMap::new();
    for r in &standing {
        by_member
            .entry(r.member_id.clone())
            .or_insert_with(|| Tally::new(&r.code))
            .add(r);
    }
    let member_ids: Vec<String> = by_member.keys().cloned().collect();
    let quantities: BTreeMap<String, i64> = members::Entity::find()
        .select_only()
        .column(members::Column::Id)
        .column(members::Column::Quantity)
        .filter(members::Column::OrganizationId.eq(org.as_str()))
        .filter(members::Column::Id.is_in(member_ids))
        .into_tuple::<(String, i64)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let mut codes: Vec<CodeReport> = by_member
        .into_iter()
        .map(|(member, tally)| {
            let quantity = quantities.get(&member).copied().unwrap_or(0);
            let most_used = counters
                .iter()
                .filter(|c| c.member_id == member)
                .map(|c| c.used)
                .max()
                .unwrap_or(0);
            tally.report(quantity, (quantity - most_used).max(0))
        })
        .collect();
    codes.sort_by(|a, b| b.used.cmp(&a.used).then(a.code.cmp(&b.code)));
    let orders_where = |paid: bool| {
        let mut orders: Vec<&String> = standing
            .iter()
            .filter(|r| r.paid_at.is_some() == paid)
            .map(|r| &r.order_id)
            .collect();
        orders.sort();
        orders.dedup();
        orders.len() as i64
    };
    let (paid_orders, held_orders) = (orders_where(true), orders_where(false));
    let paid_uses = codes.iter().map(|c| c.paid_uses).sum();
    let held_uses = codes.iter().map(|c| c.held_uses).sum();
    Ok(CampaignReport {
        campaign_id: id.clone(),
        codes_used: codes.len() as i64,
        uses: paid_uses + held_uses,
        paid_uses,
        held_uses,
        orders: paid_orders + held_orders,
        paid_orders,
        held_orders,
        codes,
    })
}

/// One code's standing redemptions, added up: paid ones apart from held ones.
struct Tally {
    code: String,
    paid_uses: i64,
    held_uses: i64,
    paid_orders: Vec<String>,
    held_orders: Vec<String>,
}

impl Tally {
    fn new(code: &str) -> Self {
        Self {
            code: code.to_string(),
            paid_uses: 0,
            held_uses: 0,
            paid_orders: Vec::new(),
            held_orders: Vec::new(),
        }
    }

    fn add(&mut self, redemption: &redemptions::Model) {
        let (uses, orders) = if redemption.paid_at.is_some() {
            (&mut self.paid_uses, &mut self.paid_orders)
        } else {
            (&mut self.held_uses, &mut self.held_orders)
        };
        *uses += redemption.uses;
        if !orders.contains(&redemption.order_id) {
            orders.push(redemption.order_id.clone());
        }
    }

    fn report(self, quantity: i64, remaining: i64) -> CodeReport {
        CodeReport {
            code: self.code,
            quantity,
            used: self.paid_uses + self.held_uses,
            paid_uses: self.paid_uses,
            held_uses: self.held_uses,
            remaining,
            orders: self
                .paid_orders
                .iter()
                .chain(&self.held_orders)
                .cloned()
                .collect(),
            paid_orders: self.paid_orders,
            held_orders: self.held_orders,
        }
    }
}
