//! Attribution, read from the outbox at least once: `order.placed` enrols the buyer in the
//! promotions on the order's event and, when the order records a referral code, judges it for
//! that code's participant ([`judge`]); `order.paid` counts a pending order; `order.cancelled`
//! (expired, cancelled, refunded) takes a counted order back off. Every write is an insert that
//! does nothing when the row exists or an update conditional on the verdict it moves from, so
//! an event read twice (the follower re-reads a window behind its cursor) changes nothing.
//!
//! Orders from an external platform's webhook arrive as `order.placed` like any other, with
//! the referral code the platform recorded, so they attribute the same way.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use fullhouse_core::events::{Follower, StoredEvent};
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::model::orders::OrderStatus;
use fullhouse_ticketing::outbox::{OrderCancelled, OrderPaid, OrderPlaced, OrderSummary};
use fullhouse_ticketing::service::CustomerService;
use fullhouse_ticketing::OrderId;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use tokio::sync::Mutex;

use super::Referrals;
use crate::model::*;
use crate::store::{referral_hits as hits, referral_orders as orders};

/// The durable outbox consumer that attributes orders.
pub const ORDERS_CONSUMER: &str = "referrals.orders";
/// Events read per round.
const FOLLOW_BATCH: u64 = 1_000;

/// One round of the referrals' background work: attribution, then the reminders that are due.
#[derive(Clone)]
pub struct Sweep {
    referrals: Referrals,
    follower: Arc<Mutex<Follower>>,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Order events that changed something (a participant enrolled, an order judged or moved).
    pub attributed: usize,
    /// Staff reminders queued (tiers reached, promotions closed).
    pub reminded: usize,
    /// Link mails queued to participants enrolled by a purchase.
    pub mailed: usize,
}

impl Sweep {
    pub fn new(referrals: Referrals) -> Self {
        let follower = Follower::durable(referrals.db.clone(), ORDERS_CONSUMER)
            .kind::<OrderPlaced>()
            .kind::<OrderPaid>()
            .kind::<OrderCancelled>()
            .batch_size(FOLLOW_BATCH);
        Self {
            referrals,
            follower: Arc::new(Mutex::new(follower)),
        }
    }

    /// Follows the outbox to its end, then mails new participants their links and sends the
    /// staff reminders that are due (see `mails`).
    pub async fn round(&self) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        loop {
            let mut follower = self.follower.lock().await;
            let batch = follower.next_batch().await?;
            if batch.is_empty() {
                break;
            }
            for event in batch.events() {
                match self.referrals.follow(event).await {
                    Ok(true) => report.attributed += 1,
                    Ok(false) => {}
                    // One order that cannot be judged (its customer erased, its event deleted)
                    // must not stop every later one.
                    Err(err) => {
                        tracing::warn!(seq = event.seq, kind = %event.kind, error = ?err, "a referral could not be attributed")
                    }
                }
            }
            follower.acknowledge(batch).await?;
        }
        report.mailed = self.referrals.mail_new_participants().await?;
        report.reminded = self.referrals.send_due_staff_reminders().await?;
        Ok(report)
    }

    /// Runs [`Self::round`] every `every` until `stop`.
    pub async fn run(self, every: std::time::Duration, stop: tokio_util::sync::CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            match self.round().await {
                Ok(report) if report == SweepReport::default() => {}
                Ok(report) => tracing::info!(?report, "referrals attributed"),
                Err(err) => tracing::warn!(error = ?err, "the referrals' round failed"),
            }
        }
    }
}

impl Referrals {
    /// What one order event changes; true when it changed something.
    pub(crate) async fn follow(&self, event: &StoredEvent) -> Result<bool> {
        if event.is::<OrderPlaced>() {
            let OrderPlaced(summary) = event.decode()?;
            return self.on_placed(&event.org, &summary).await;
        }
        if event.is::<OrderPaid>() {
            let paid: OrderPaid = event.decode()?;
            return self.on_paid(&event.org, &paid.order_id).await;
        }
        if event.is::<OrderCancelled>() {
            let OrderCancelled(summary) = event.decode()?;
            return self.on_released(&event.org, &summary.order_id).await;
        }
        Ok(false)
    }

    async fn on_placed(&self, org: &OrgId, summary: &OrderSummary) -> Result<bool> {
        let catalog = self.catalog();
        let mut events = Vec::new();
        for id in &summary.event_ids {
            match catalog.event(org, id).await {
                Ok(event) => events.push(event),
                Err(Error::NotFound(_)) => {}
                Err(err) => return Err(err),
            }
        }
        let mut changed = false;
        if let Some(customer) = &summary.customer_id {
            for event in &events {
                for (_, enrolled) in self
                    .enrol_buyer(org, event, customer, &summary.order_id)
                    .await?
                {
                    changed |= enrolled;
                }
            }
        }
        let Some(code) = summary.referral_code.as_deref() else {
            return Ok(changed);
        };
        let (code_org, participant) = match self.participant_by_code(code).await {
            Ok(found) => found,
            Err(Error::NotFound(_)) => return Ok(changed),
            Err(err) => return Err(err),
        };
        if code_org != *org {
            // A code of another organization on this one's order: it names no one here.
            return Ok(changed);
        }
        let promotion = self.promotion(org, &participant.promotion_id).await?;
        if !events.iter().any(|e| Self::covers(&promotion, e)) {
            return Ok(changed);
        }
        let email = match &summary.customer_id {
            Some(customer) => match CustomerService::new(self.db.clone())
                .customer(org, customer)
                .await
            {
                Ok(found) => found.email.map(|e| e.to_lowercase()),
                Err(Error::NotFound(_)) => None,
                Err(err) => return Err(err),
            },
            None => None,
        };
        let facts = OrderFacts {
            order_id: summary.order_id.clone(),
            customer_id: summary.customer_id.clone(),
            email,
            status: summary.status.unwrap_or(OrderStatus::Paid),
            placed_at: summary.created_at,
            last_click: self
                .last_hit(org, &participant.id, summary.created_at)
                .await?,
        };
        let verdict = judge(&promotion, &participant, &facts);
        let now = self.now();
        let row = orders::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(summary.order_id.to_string()),
            promotion_id: Set(promotion.id.to_string()),
            participant_id: Set(participant.id.to_string()),
            customer_id: Set(summary.customer_id.as_ref().map(|c| c.to_string())),
            code: Set(participant.code.clone()),
            verdict: Set(verdict.as_str().to_string()),
            source: Set(summary.source.clone()),
            tickets: Set(i64::try_from(summary.ticket_count).unwrap_or(i64::MAX)),
            revenue_minor: Set(summary.total_minor),
            currency: Set(summary.currency.clone()),
            placed_at: Set(summary.created_at),
            updated_at: Set(now),
        };
        let written = orders::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([orders::Column::OrganizationId, orders::Column::Id])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.db.writer())
            .await?;
        if written == 1 && verdict == Verdict::Counted {
            self.award_participant(org, &promotion, &participant.id)
                .await?;
        }
        Ok(changed || written == 1)
    }

    async fn on_paid(&self, org: &OrgId, order: &OrderId) -> Result<bool> {
        self.move_order(org, order, &[Verdict::Pending], Verdict::Counted)
            .await
    }

    async fn on_released(&self, org: &OrgId, order: &OrderId) -> Result<bool> {
        self.move_order(
            org,
            order,
            &[Verdict::Pending, Verdict::Counted],
            Verdict::Released,
        )
        .await
    }

    /// Moves an attributed order from one of `from` to `to`, unless its promotion is closed
    /// (frozen); awards tiers it reaches.
    async fn move_order(
        &self,
        org: &OrgId,
        order: &OrderId,
        from: &[Verdict],
        to: Verdict,
    ) -> Result<bool> {
        let Some(row) = orders::Entity::find_by_id((org.to_string(), order.to_string()))
            .one(self.db.reader())
            .await?
        else {
            return Ok(false);
        };
        let promotion = self
            .promotion(org, &PromotionId::from_db(row.promotion_id.clone()))
            .await?;
        if promotion.status == PromotionStatus::Closed {
            return Ok(false);
        }
        let moved = orders::Entity::update_many()
            .col_expr(orders::Column::Verdict, Expr::value(to.as_str()))
            .col_expr(orders::Column::UpdatedAt, Expr::value(self.now()))
            .filter(orders::Column::OrganizationId.eq(org.as_str()))
            .filter(orders::Column::Id.eq(order.as_str()))
            .filter(orders::Column::Verdict.is_in(from.iter().map(|v| v.as_str())))
            .exec(self.db.writer())
            .await?
            .rows_affected
            == 1;
        if moved && to == Verdict::Counted {
            let participant = ParticipantId::from_db(row.participant_id);
            self.award_participant(org, &promotion, &participant)
                .await?;
        }
        Ok(moved)
    }

    async fn award_participant(
        &self,
        org: &OrgId,
        promotion: &Promotion,
        participant: &ParticipantId,
    ) -> Result<usize> {
        let tally = self.tally(org, participant).await?;
        self.award(org, promotion, participant, tally.tickets).await
    }

    /// The latest hit on a participant's link at or before `at` (a minute of clock skew
    /// between processes allowed).
    async fn last_hit(
        &self,
        org: &OrgId,
        participant: &ParticipantId,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        Ok(hits::Entity::find()
            .select_only()
            .column(hits::Column::At)
            .filter(hits::Column::OrganizationId.eq(org.as_str()))
            .filter(hits::Column::ParticipantId.eq(participant.as_str()))
            .filter(hits::Column::At.lte(at + chrono::Duration::minutes(1)))
            .order_by_desc(hits::Column::At)
            .limit(1)
            .into_tuple::<DateTime<Utc>>()
            .one(self.db.reader())
            .await?)
    }
}
