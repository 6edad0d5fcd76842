//! The customer's side of an intent: the link opens it (no login: the token is the key) and pays
//! it through checkout's payment step, with the organization's provider like any online order.

use fullhouse_checkout::PayStep;
use fullhouse_core::{Error, OrgId, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{history_row, IntentDetail, Intents};
use crate::model::*;
use crate::store::{intent_history, intents};

impl Intents {
    /// Why an intent cannot be paid through its link now; `None` when it can (the pages show
    /// the same reasons, translated).
    pub fn why_not_payable(&self, intent: &Intent) -> Option<&'static str> {
        match intent.status {
            IntentStatus::Completed => Some("this booking is paid"),
            IntentStatus::Expired => Some(
                "the time to pay for this booking ran out and its seats were given back; ask the organizer to reopen it",
            ),
            IntentStatus::Cancelled => Some("this booking was cancelled"),
            IntentStatus::Pending if intent.strategy != Strategy::PayByLink => {
                Some("this booking is not paid online: the organizer invoices it")
            }
            IntentStatus::Pending if intent.pay_by.is_some_and(|at| at <= self.now()) => Some(
                "the time to pay for this booking ran out; ask the organizer to reopen it",
            ),
            IntentStatus::Pending => None,
        }
    }

    /// Pays the intent `token` names (`payment`: what the provider's form produced; the test
    /// provider declines `decline`). A paid intent answers as paid; an expired, cancelled or
    /// not-online one is refused (409) with the reason. `return_url`: where a provider's own
    /// page (Stripe) sends the customer back.
    pub async fn pay(
        &self,
        org: &OrgId,
        token: &str,
        payment: Option<String>,
        return_url: Option<String>,
    ) -> Result<(IntentDetail, PayStep)> {
        let detail = self.by_token(org, token).await?;
        let intent = &detail.intent;
        let order_id = intent.order_id.clone().ok_or(Error::NotFound("intent"))?;
        if intent.status == IntentStatus::Completed {
            let order = self.checkout.order(org, &order_id).await?;
            return Ok((detail, PayStep::Paid(Box::new(order))));
        }
        if let Some(reason) = self.why_not_payable(intent) {
            return Err(Error::conflict("status", reason));
        }
        let step = self
            .checkout
            .pay_step(org, &order_id, payment, return_url)
            .await?;
        if let PayStep::Paid(_) = &step {
            self.completed_by_customer(org, &intent.id, &order_id)
                .await?;
        }
        let detail = self.by_token(org, token).await?;
        Ok((detail, step))
    }

    /// Writes at once what the outbox follower would write a few seconds later, so the page
    /// the customer comes back to says paid; the follower then finds nothing to change.
    async fn completed_by_customer(
        &self,
        org: &OrgId,
        id: &IntentId,
        order: &fullhouse_ticketing::OrderId,
    ) -> Result<()> {
        let now = self.now();
        let txn = self.db.begin_write().await?;
        let changed = intents::Entity::update_many()
            .col_expr(
                intents::Column::Status,
                Expr::value(IntentStatus::Completed.as_str()),
            )
            .col_expr(intents::Column::UpdatedAt, Expr::value(now))
            .filter(intents::Column::OrganizationId.eq(org.as_str()))
            .filter(intents::Column::Id.eq(id.as_str()))
            .filter(intents::Column::OrderId.eq(order.as_str()))
            .filter(intents::Column::Status.ne(IntentStatus::Completed.as_str()))
            .exec(&txn)
            .await?
            .rows_affected;
        if changed == 1 {
            intent_history::Entity::insert(intent_history::ActiveModel::from(history_row(
                org, id, "paid", "customer", None, now,
            )))
            .exec_without_returning(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
