//! Refunds through the provider that took the payment: asked once, recorded, never swallowed.
//!
//! Before the provider is called, a `pending` row is claimed for (order, payment) with an
//! insert that does nothing when the row exists: a second cancel, a redelivered webhook or two
//! processes at once find it and call nobody. The provider's answer makes the row `refunded` (with
//! the provider's refund id) or `failed` (with the reason). Failed refunds are listed by
//! `GET /api/v1/payments/refunds?status=failed` and on Settings → Payments, and can be asked again
//! (`POST /api/v1/checkout/orders/{id}/refund/retry`); Stripe's idempotency key is made from the
//! order and the payment, so asking again never refunds twice. Called outside any database
//! transaction: a remote call never holds rows locked.

use chrono::Utc;
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::OrderId;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use utoipa::ToSchema;

use super::PaymentRequest;
use crate::store::checkout_refunds as row;
use crate::Checkout;

pub const PENDING: &str = "pending";
pub const REFUNDED: &str = "refunded";
pub const FAILED: &str = "failed";

/// Why a payment is given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundReason {
    /// The paid order was cancelled (it is now `refunded`).
    Cancelled,
    /// Paid after its hold ran out or it was cancelled: its seats were already given back.
    Late,
    /// A second payment of an order already paid by another.
    Duplicate,
}

impl RefundReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::Late => "late",
            Self::Duplicate => "duplicate",
        }
    }
}

/// One refund as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundRecord {
    pub order_id: String,
    pub payment_reference: String,
    pub provider: String,
    /// `cancelled`, `late` or `duplicate`.
    pub reason: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `pending`, `refunded` or `failed`.
    pub status: String,
    pub refund_reference: Option<String>,
    pub error: Option<String>,
    pub attempts: i64,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl From<row::Model> for RefundRecord {
    fn from(r: row::Model) -> Self {
        Self {
            order_id: r.order_id,
            payment_reference: r.payment_reference,
            provider: r.provider,
            reason: r.reason,
            amount_minor: r.amount_minor,
            currency: r.currency,
            status: r.status,
            refund_reference: r.refund_reference,
            error: r.error,
            attempts: r.attempts,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A payment to give back.
pub struct Refund<'a> {
    pub org: &'a OrgId,
    pub order_id: &'a OrderId,
    pub provider: &'a str,
    pub reference: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub reason: RefundReason,
}

impl Checkout {
    /// Gives a payment back once: the first call claims it and asks the provider; later calls
    /// return the record. The outcome (refunded or failed) is in the record, not an error: the
    /// order's state has already moved.
    pub async fn refund_once(&self, refund: Refund<'_>) -> Result<RefundRecord> {
        let now = self.clock.now();
        let claimed = row::Entity::insert(row::ActiveModel {
            organization_id: Set(refund.org.to_string()),
            order_id: Set(refund.order_id.to_string()),
            payment_reference: Set(refund.reference.to_string()),
            provider: Set(refund.provider.to_string()),
            reason: Set(refund.reason.as_str().to_string()),
            amount_minor: Set(refund.amount_minor),
            currency: Set(refund.currency.to_string()),
            status: Set(PENDING.to_string()),
            refund_reference: Set(None),
            error: Set(None),
            attempts: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                row::Column::OrganizationId,
                row::Column::OrderId,
                row::Column::PaymentReference,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(self.db.writer())
        .await?;
        if claimed == 1 {
            self.ask_provider(&refund).await?;
        }
        self.refund_record(refund.org, refund.order_id, refund.reference)
            .await
    }

    /// Asks again for a refund that failed (the same idempotency key: never twice).
    pub async fn retry_refund(&self, org: &OrgId, order_id: &OrderId) -> Result<RefundRecord> {
        let failed = row::Entity::find()
            .filter(row::Column::OrganizationId.eq(org.as_str()))
            .filter(row::Column::OrderId.eq(order_id.as_str()))
            .filter(row::Column::Status.eq(FAILED))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("failed refund"))?;
        // Claimed again with a conditional update: of two retries at once, one asks.
        let claimed = row::Entity::update_many()
            .col_expr(row::Column::Status, Expr::value(PENDING))
            .col_expr(
                row::Column::Attempts,
                Expr::col(row::Column::Attempts).add(1),
            )
            .col_expr(row::Column::UpdatedAt, Expr::value(self.clock.now()))
            .filter(row::Column::OrganizationId.eq(org.as_str()))
            .filter(row::Column::OrderId.eq(order_id.as_str()))
            .filter(row::Column::PaymentReference.eq(failed.payment_reference.as_str()))
            .filter(row::Column::Status.eq(FAILED))
            .exec(self.db.writer())
            .await?
            .rows_affected;
        let reason = match failed.reason.as_str() {
            "late" => RefundReason::Late,
            "duplicate" => RefundReason::Duplicate,
            _ => RefundReason::Cancelled,
        };
        if claimed == 1 {
            self.ask_provider(&Refund {
                org,
                order_id,
                provider: &failed.provider,
                reference: &failed.payment_reference,
                amount_minor: failed.amount_minor,
                currency: &failed.currency,
                reason,
            })
            .await?;
        }
        self.refund_record(org, order_id, &failed.payment_reference)
            .await
    }

    /// The organization's refunds, newest first; only those in `status` when given.
    pub async fn refunds(&self, org: &OrgId, status: Option<&str>) -> Result<Vec<RefundRecord>> {
        let mut query = row::Entity::find().filter(row::Column::OrganizationId.eq(org.as_str()));
        if let Some(status) = status {
            if ![PENDING, REFUNDED, FAILED].contains(&status) {
                return Err(Error::invalid(
                    "status",
                    "is `pending`, `refunded` or `failed`",
                ));
            }
            query = query.filter(row::Column::Status.eq(status));
        }
        Ok(query
            .order_by_desc(row::Column::UpdatedAt)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(RefundRecord::from)
            .collect())
    }

    async fn refund_record(
        &self,
        org: &OrgId,
        order_id: &OrderId,
        reference: &str,
    ) -> Result<RefundRecord> {
        row::Entity::find_by_id((org.to_string(), order_id.to_string(), reference.to_string()))
            .one(self.db.reader())
            .await?
            .map(RefundRecord::from)
            .ok_or(Error::NotFound("refund"))
    }

    /// Calls the provider for a claimed refund and records its answer.
    async fn ask_provider(&self, refund: &Refund<'_>) -> Result<()> {
        let request = PaymentRequest {
            org: refund.org.clone(),
            order_id: refund.order_id.clone(),
            amount_minor: refund.amount_minor,
            currency: refund.currency.to_string(),
            token: None,
            lines: Vec::new(),
            return_url: None,
            pay_by: None,
        };
        let answer = match self.provider_by_id(refund.org, refund.provider).await {
            Ok(provider) => provider.refund(&request, refund.reference).await,
            Err(err) => Err(err),
        };
        let (status, reference, error) = match answer {
            Ok(reference) => (REFUNDED, Some(reference), None),
            Err(err) => {
                tracing::error!(
                    org = %refund.org, order = %refund.order_id, payment = refund.reference,
                    error = ?err, "a refund failed; it is listed for the organizer to retry"
                );
                (FAILED, None, Some(err.public_message()))
            }
        };
        row::Entity::update_many()
            .col_expr(row::Column::Status, Expr::value(status))
            .col_expr(row::Column::RefundReference, Expr::value(reference))
            .col_expr(row::Column::Error, Expr::value(error))
            .col_expr(row::Column::UpdatedAt, Expr::value(self.clock.now()))
            .filter(row::Column::OrganizationId.eq(refund.org.as_str()))
            .filter(row::Column::OrderId.eq(refund.order_id.as_str()))
            .filter(row::Column::PaymentReference.eq(refund.reference))
            .exec(self.db.writer())
            .await?;
        Ok(())
    }
}
