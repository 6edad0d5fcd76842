//! Who holds tickets for some events: the customers with at least one valid ticket, for work
//! that reaches every earlier buyer (the referral programme's back-dating mails them their own
//! links). Distinct customers in id order, a page at a time by keyset, so a job walks any
//! number of them with bounded memory and can start again anywhere.

use fullhouse_core::{OrgId, Result};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use super::OrderService;
use crate::model::ids::{CustomerId, EventId};
use crate::model::orders::TicketStatus;
use crate::store::tickets;

/// The most customers one page returns.
pub const MAX_HOLDERS_PAGE: u64 = 1_000;

impl OrderService {
    /// Up to `limit` (at most [`MAX_HOLDERS_PAGE`]) customers holding a valid ticket for any of
    /// `events`, in id order, after `after`; fewer than asked means the last page. Tickets
    /// without a customer (anonymous box-office sales) hold for no one.
    pub async fn event_holders(
        &self,
        org: &OrgId,
        events: &[EventId],
        after: Option<&CustomerId>,
        limit: u64,
    ) -> Result<Vec<CustomerId>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut select = held(org, events)
            .select_only()
            .column(tickets::Column::CustomerId)
            .distinct();
        if let Some(after) = after {
            select = select.filter(tickets::Column::CustomerId.gt(after.as_str()));
        }
        let ids: Vec<Option<String>> = select
            .order_by_asc(tickets::Column::CustomerId)
            .limit(limit.clamp(1, MAX_HOLDERS_PAGE))
            .into_tuple()
            .all(self.db.reader())
            .await?;
        Ok(ids.into_iter().flatten().map(CustomerId::from_db).collect())
    }
}

impl OrderService {
    /// How many customers [`Self::event_holders`] walks through.
    pub async fn count_event_holders(&self, org: &OrgId, events: &[EventId]) -> Result<u64> {
        if events.is_empty() {
            return Ok(0);
        }
        let count: Option<i64> = held(org, events)
            .select_only()
            .column_as(
                Expr::expr(Func::count_distinct(Expr::col(tickets::Column::CustomerId))),
                "holders",
            )
            .into_tuple()
            .one(self.db.reader())
            .await?;
        Ok(count.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }
}

/// The valid tickets of `events` that belong to a customer.
fn held(org: &OrgId, events: &[EventId]) -> Select<tickets::Entity> {
    tickets::Entity::find()
        .filter(tickets::Column::OrganizationId.eq(org.as_str()))
        .filter(tickets::Column::EventId.is_in(events.iter().map(|e| e.as_str())))
        .filter(tickets::Column::Status.eq(TicketStatus::Valid.as_str()))
        .filter(tickets::Column::CustomerId.is_not_null())
}
