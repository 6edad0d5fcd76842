//! The payment step itemizes a discount: the tickets at their list prices, the discount named
//! by the campaigns the order's codes came from, and the total the buyer pays.

use std::collections::HashMap;

use fullhouse_core::{Db, OrgId, Result};
use fullhouse_ticketing::store::ticket_types;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::model::CheckoutOrder;
use crate::store::checkout_code_uses;

/// An order's discount, when its tickets cost less than their list prices.
pub struct Discounts {
    pub list_total_minor: i64,
    /// What the discount takes off (positive).
    pub off_minor: i64,
    /// The campaigns' names, as the buyer saw them when the code was accepted.
    pub labels: String,
    pub currency: String,
}

impl Discounts {
    /// Reads the list prices of the order's ticket types and the labels of the grants it used
    /// (two statements). `None` when nothing was taken off. The list price is the type's price
    /// now: an organizer's later price change shows here, never in what was charged.
    pub async fn of(db: &Db, org: &OrgId, order: &CheckoutOrder) -> Result<Option<Self>> {
        let conn = db.reader();
        let type_ids: Vec<String> = order
            .order
            .tickets
            .iter()
            .map(|t| t.ticket_type_id.to_string())
            .collect();
        let list: HashMap<String, i64> = ticket_types::Entity::find()
            .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
            .filter(ticket_types::Column::Id.is_in(type_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|t| (t.id, t.price_minor))
            .collect();
        let list_total_minor: i64 = order
            .order
            .tickets
            .iter()
            .map(|t| {
                list.get(t.ticket_type_id.as_str())
                    .copied()
                    .unwrap_or(t.price_minor)
                    .max(t.price_minor)
            })
            .sum();
        let off_minor = list_total_minor - order.total_minor;
        if off_minor <= 0 {
            return Ok(None);
        }
        let labels: Vec<String> = checkout_code_uses::Entity::find()
            .filter(checkout_code_uses::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_code_uses::Column::OrderId.eq(order.id.as_str()))
            .all(conn)
            .await?
            .into_iter()
            .map(|u| u.label)
            .collect();
        Ok(Some(Self {
            list_total_minor,
            off_minor,
            labels: labels.join(", "),
            currency: order.currency.clone(),
        }))
    }
}
