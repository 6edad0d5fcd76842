//! What happens to intents without an organizer: their orders are paid by the customer, expire
//! at the deadline, or are cancelled elsewhere (read from the outbox, at least once), and their
//! reminders come due. [`Sweep`] does one round of each; the module runs it every few seconds in
//! the processes that run jobs, and tests call it after moving the clock.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use fullhouse_core::events::{Follower, StoredEvent};
use fullhouse_core::{OrgId, Result};
use fullhouse_ticketing::model::orders::OrderStatus;
use fullhouse_ticketing::outbox::{OrderCancelled, OrderPaid};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::Mutex;

use super::{history_row, Intents};
use crate::model::*;
use crate::store::{intent_history, intents};

/// The durable outbox consumer that moves intents with their orders.
pub const ORDERS_CONSUMER: &str = "intents.orders";
/// Events read per round.
const FOLLOW_BATCH: u64 = 2_000;
/// Reminders sent per round (the next round takes the rest).
const REMINDER_BATCH: u64 = 200;

/// One round of the intents' background work.
#[derive(Clone)]
pub struct Sweep {
    intents: Intents,
    follower: Arc<Mutex<Follower>>,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub moved: usize,
    pub reminded: usize,
    /// Digest mails queued to organizers (once per organization per day).
    pub digests: usize,
}

impl Sweep {
    pub fn new(intents: Intents) -> Self {
        let follower = Follower::durable(intents.db.clone(), ORDERS_CONSUMER)
            .kind::<OrderPaid>()
            .kind::<OrderCancelled>()
            .batch_size(FOLLOW_BATCH);
        Self {
            intents,
            follower: Arc::new(Mutex::new(follower)),
        }
    }

    /// Follows the outbox to its end, then sends the reminders that are due.
    pub async fn round(&self) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        loop {
            let mut follower = self.follower.lock().await;
            let batch = follower.next_batch().await?;
            if batch.is_empty() {
                break;
            }
            report.moved += self.intents.follow(batch.events()).await?;
            follower.acknowledge(batch).await?;
        }
        report.reminded = self.intents.send_due_reminders().await?;
        report.digests = self.intents.send_due_digests().await?;
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
                Ok(report) => tracing::info!(?report, "intents moved on"),
                Err(err) => tracing::warn!(error = ?err, "the intents' round failed"),
            }
        }
    }
}

/// What an order event means for the intent holding that order.
fn order_move(event: &StoredEvent) -> Result<Option<(String, IntentStatus, &'static str)>> {
    if event.is::<OrderPaid>() {
        let paid: OrderPaid = event.decode()?;
        return Ok(Some((
            paid.order_id.to_string(),
            IntentStatus::Completed,
            "paid",
        )));
    }
    if event.is::<OrderCancelled>() {
        let cancelled: OrderCancelled = event.decode()?;
        let (status, action) = match cancelled.0.status {
            Some(OrderStatus::Expired) => (IntentStatus::Expired, "expired"),
            _ => (IntentStatus::Cancelled, "order_cancelled"),
        };
        return Ok(Some((cancelled.0.order_id.to_string(), status, action)));
    }
    Ok(None)
}

impl Intents {
    /// Moves the intents whose current order these events are about; returns how many moved.
    /// Conditional on the intent still holding that order and not being in that status yet, so
    /// an event read twice, or about an order a reopened intent left behind, changes nothing.
    pub(crate) async fn follow(&self, events: &[StoredEvent]) -> Result<usize> {
        let mut moves: HashMap<(OrgId, String), (IntentStatus, &'static str, DateTime<Utc>)> =
            HashMap::new();
        for event in events {
            if let Some((order, status, action)) = order_move(event)? {
                moves.insert(
                    (event.org.clone(), order),
                    (status, action, event.created_at),
                );
            }
        }
        let mut moved = 0;
        for ((org, order), (status, action, at)) in moves {
            let Some(row) = intents::Entity::find()
                .filter(intents::Column::OrganizationId.eq(org.as_str()))
                .filter(intents::Column::OrderId.eq(order.as_str()))
                .one(self.db.reader())
                .await?
            else {
                continue;
            };
            let txn = self.db.begin_write().await?;
            let changed = intents::Entity::update_many()
                .col_expr(intents::Column::Status, Expr::value(status.as_str()))
                .col_expr(intents::Column::UpdatedAt, Expr::value(self.now()))
                .filter(intents::Column::OrganizationId.eq(org.as_str()))
                .filter(intents::Column::Id.eq(row.id.as_str()))
                .filter(intents::Column::OrderId.eq(order.as_str()))
                .filter(intents::Column::Status.ne(status.as_str()))
                .exec(&txn)
                .await?
                .rows_affected;
            if changed == 1 {
                let actor = if action == "paid" {
                    "customer"
                } else {
                    "system"
                };
                intent_history::Entity::insert(intent_history::ActiveModel::from(history_row(
                    &org,
                    &IntentId::from_db(row.id),
                    action,
                    actor,
                    None,
                    at,
                )))
                .exec_without_returning(&txn)
                .await?;
                moved += 1;
            }
            txn.commit().await?;
        }
        Ok(moved)
    }

    /// Sends every reminder that is due (by checkout's clock), each once: the intent is claimed
    /// by a conditional update before its mail is queued, so two processes never both send it.
    pub async fn send_due_reminders(&self) -> Result<usize> {
        let now = self.now();
        let due = intents::Entity::find()
            .filter(intents::Column::Status.eq(IntentStatus::Pending.as_str()))
            .filter(intents::Column::RemindAt.lte(now))
            .filter(intents::Column::ReminderSentAt.is_null())
            .filter(intents::Column::PayBy.gt(now))
            .order_by_asc(intents::Column::RemindAt)
            .limit(REMINDER_BATCH)
            .all(self.db.reader())
            .await?;
        let mut sent = 0;
        let mut slugs: HashMap<String, String> = HashMap::new();
        for row in due {
            let org = OrgId::from_db(row.organization_id.clone());
            let claimed = intents::Entity::update_many()
                .col_expr(intents::Column::ReminderSentAt, Expr::value(now))
                .filter(intents::Column::OrganizationId.eq(org.as_str()))
                .filter(intents::Column::Id.eq(row.id.as_str()))
                .filter(intents::Column::ReminderSentAt.is_null())
                .exec(self.db.writer())
                .await?
                .rows_affected
                == 1;
            if !claimed {
                continue;
            }
            let slug = match slugs.get(org.as_str()) {
                Some(slug) => slug.clone(),
                None => {
                    let slug = self.slug(&org).await?;
                    slugs.insert(org.to_string(), slug.clone());
                    slug
                }
            };
            let intent = self.intent_of(row, &slug)?;
            match self.mail_reminder(&org, &intent).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                // Claimed but not queued: the reminder is lost rather than sent twice; the
                // history keeps no "reminded" line, so the organizer can resend.
                Err(err) => {
                    tracing::warn!(%org, intent = %intent.id, error = ?err, "an intent's reminder could not be queued")
                }
            }
        }
        Ok(sent)
    }
}
