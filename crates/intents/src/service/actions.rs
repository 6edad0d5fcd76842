//! The organizer's moves on an intent: resend its mail, extend its deadline, reopen it after it
//! expired or was cancelled, cancel it, mark it paid. Each is allowed by [`Action::allowed`]
//! (409 with the reason otherwise) and leaves a line in the intent's history with who and when.

use chrono::{DateTime, Utc};
use fullhouse_checkout::model::CheckoutStatus;
use fullhouse_checkout::PaymentMethod;
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::OrderId;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{history_row, Intents};
use crate::model::*;
use crate::store::{intent_history, intents};

/// An action with what it needs.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: Action,
    /// Extend or reopen: the new deadline (pay by link); left out, the event's number of days
    /// from now.
    pub deadline: Option<Deadline>,
    /// Mark paid: how it was paid (default: invoice).
    pub payment_method: Option<PaymentMethod>,
    /// Mark paid: the invoice or transfer reference, kept with the payment.
    pub reference: Option<String>,
}

impl Intents {
    /// Applies an organizer's action, as `actor`; returns the intent as it is afterwards.
    pub async fn act(
        &self,
        org: &OrgId,
        id: &IntentId,
        request: ActionRequest,
        actor: &str,
    ) -> Result<Intent> {
        let intent = self.intent(org, id).await?;
        request
            .action
            .allowed(intent.strategy, intent.status)
            .map_err(|reason| Error::conflict("action", reason))?;
        match request.action {
            Action::Resend => {
                self.mail_booking(org, &intent, actor).await?;
            }
            Action::Cancel => self.cancel(org, &intent, actor).await?,
            Action::MarkPaid => {
                let method = request.payment_method.unwrap_or(PaymentMethod::Invoice);
                let reference = request
                    .reference
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map_or_else(|| format!("intent:{id}"), str::to_string);
                self.mark_paid(org, &intent, method, &reference, actor)
                    .await?;
            }
            Action::Extend => {
                let pay_by = self.new_deadline(org, &intent, request.deadline).await?;
                self.extend(org, &intent, pay_by, actor).await?;
            }
            Action::Reopen => {
                let pay_by = match intent.strategy {
                    Strategy::PayByLink => {
                        Some(self.new_deadline(org, &intent, request.deadline).await?)
                    }
                    _ => None,
                };
                self.reopen(org, &intent, pay_by, actor).await?;
            }
        }
        self.intent(org, id).await
    }

    /// The deadline an extension or a reopening sets: the one given (in the future, before the
    /// event), else the event's number of days from now.
    async fn new_deadline(
        &self,
        org: &OrgId,
        intent: &Intent,
        deadline: Option<Deadline>,
    ) -> Result<DateTime<Utc>> {
        let event = fullhouse_ticketing::service::CatalogService::new(self.db.clone())
            .event(org, &intent.event_id)
            .await?;
        let now = self.now();
        if event.starts_at <= now {
            return Err(Error::conflict(
                "deadline",
                "the event has already begun: the deadline cannot be moved",
            ));
        }
        let defaults = self.event_defaults(org, &intent.event_id).await?;
        let deadline = deadline.unwrap_or(Deadline::Days(defaults.pay_days));
        if let Deadline::Until(at) = deadline {
            if at <= now {
                return Err(Error::invalid(
                    "deadline",
                    "the deadline must be in the future",
                ));
            }
        }
        Ok(deadline.pay_by(now, event.starts_at))
    }

    async fn cancel(&self, org: &OrgId, intent: &Intent, actor: &str) -> Result<()> {
        if let Some(order) = &intent.order_id {
            self.checkout.cancel(org, order).await?;
        }
        self.set_status(
            org,
            intent,
            IntentStatus::Cancelled,
            "cancelled",
            actor,
            None,
        )
        .await
    }

    async fn mark_paid(
        &self,
        org: &OrgId,
        intent: &Intent,
        method: PaymentMethod,
        reference: &str,
        actor: &str,
    ) -> Result<()> {
        let order = intent
            .order_id
            .as_ref()
            .ok_or_else(|| Error::conflict("action", "this intent has no order to mark paid"))?;
        self.checkout.settle(org, order, method, reference).await?;
        self.set_status(
            org,
            intent,
            IntentStatus::Completed,
            "marked_paid",
            actor,
            Some(format!("{} {reference}", method.as_str())),
        )
        .await
    }

    async fn extend(
        &self,
        org: &OrgId,
        intent: &Intent,
        pay_by: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        let order = intent
            .order_id
            .as_ref()
            .ok_or_else(|| Error::conflict("action", "this intent has no order to extend"))?;
        self.checkout.set_hold(org, order, Some(pay_by)).await?;
        let now = self.now();
        let txn = self.db.begin_write().await?;
        intents::Entity::update_many()
            .col_expr(intents::Column::PayBy, Expr::value(pay_by))
            // A new deadline gets its own reminder.
            .col_expr(
                intents::Column::RemindAt,
                Expr::value(reminder_due_at(now, pay_by, intent.remind_days)),
            )
            .col_expr(
                intents::Column::ReminderSentAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(intents::Column::UpdatedAt, Expr::value(now))
            .filter(intents::Column::OrganizationId.eq(org.as_str()))
            .filter(intents::Column::Id.eq(intent.id.as_str()))
            .exec(&txn)
            .await?;
        intent_history::Entity::insert(intent_history::ActiveModel::from(history_row(
            org,
            &intent.id,
            "extended",
            actor,
            Some(pay_by.to_rfc3339()),
            now,
        )))
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Places the intent's tickets again in a new order (the old one gave its seats back), on
    /// the intent's strategy; refused (409 "Cannot reserve seat", sold out…) when they are gone.
    async fn reopen(
        &self,
        org: &OrgId,
        intent: &Intent,
        pay_by: Option<DateTime<Utc>>,
        actor: &str,
    ) -> Result<()> {
        let new = NewIntent {
            customer_id: intent.customer_id.clone(),
            event_id: intent.event_id.clone(),
            shop_id: intent.shop_id.clone(),
            items: intent.items.clone(),
            coupon: intent.coupon.clone(),
            company: intent.company.clone(),
            delivery: intent.delivery,
            strategy: StrategyChoice {
                strategy: Some(intent.strategy),
                deadline: pay_by.map(Deadline::Until),
            },
            send_mail: intent.send_mail,
            import_id: intent.import_id.clone(),
            created_by: actor.to_string(),
        };
        let placed = self.place(org, &new).await?;
        let now = self.now();
        let status = IntentStatus::of_order(placed.order.status);
        let txn = self.db.begin_write().await?;
        let changed = intents::Entity::update_many()
            .col_expr(
                intents::Column::OrderId,
                Expr::value(placed.order.id.to_string()),
            )
            .col_expr(intents::Column::Status, Expr::value(status.as_str()))
            .col_expr(intents::Column::PayBy, Expr::value(placed.terms.pay_by))
            .col_expr(
                intents::Column::RemindAt,
                Expr::value(
                    placed
                        .terms
                        .pay_by
                        .and_then(|at| reminder_due_at(now, at, placed.terms.remind_days)),
                ),
            )
            .col_expr(
                intents::Column::ReminderSentAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                intents::Column::TotalMinor,
                Expr::value(placed.order.total_minor),
            )
            .col_expr(intents::Column::UpdatedAt, Expr::value(now))
            .filter(intents::Column::OrganizationId.eq(org.as_str()))
            .filter(intents::Column::Id.eq(intent.id.as_str()))
            .filter(intents::Column::Status.eq(intent.status.as_str()))
            .exec(&txn)
            .await?
            .rows_affected;
        if changed != 1 {
            txn.rollback().await?;
            // Someone else moved the intent meanwhile: give the new order's seats back.
            self.checkout.cancel(org, &placed.order.id).await?;
            return Err(Error::conflict(
                "action",
                "this intent changed meanwhile; look at it again",
            ));
        }
        intent_history::Entity::insert(intent_history::ActiveModel::from(history_row(
            org,
            &intent.id,
            "reopened",
            actor,
            placed.terms.pay_by.map(|at| at.to_rfc3339()),
            now,
        )))
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        if intent.send_mail {
            let reopened = self.intent(org, &intent.id).await?;
            self.mail_booking(org, &reopened, actor).await?;
        }
        Ok(())
    }

    /// Writes a status an organizer's move reached, with its history line; a status the
    /// outbox follower already wrote is not written twice.
    async fn set_status(
        &self,
        org: &OrgId,
        intent: &Intent,
        to: IntentStatus,
        action: &str,
        actor: &str,
        detail: Option<String>,
    ) -> Result<()> {
        let now = self.now();
        let txn = self.db.begin_write().await?;
        intents::Entity::update_many()
            .col_expr(intents::Column::Status, Expr::value(to.as_str()))
            .col_expr(intents::Column::UpdatedAt, Expr::value(now))
            .filter(intents::Column::OrganizationId.eq(org.as_str()))
            .filter(intents::Column::Id.eq(intent.id.as_str()))
            .exec(&txn)
            .await?;
        intent_history::Entity::insert(intent_history::ActiveModel::from(history_row(
            org, &intent.id, action, actor, detail, now,
        )))
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The status an intent's order says it has now (what the follower will write).
    pub async fn order_status(&self, org: &OrgId, order: &OrderId) -> Result<CheckoutStatus> {
        Ok(self.checkout.order(org, order).await?.status)
    }
}
