//! The facts checkout publishes to the domain-event outbox ([`fullhouse_core::events`]). Orders
//! placed and cancelled are ticketing's facts (`fullhouse_ticketing::outbox`); checkout adds the
//! payment.

use chrono::{DateTime, Utc};
use fullhouse_core::events::DomainEvent;
use fullhouse_ticketing::{EventId, OrderId};
use serde::{Deserialize, Serialize};

/// `order.paid`: an online order's payment was taken. Modules that count money (referral
/// revenue, reports) react to this, not to the hold. Box-office sales are paid when placed:
/// their `order.placed` has channel `box_office` and no `order.paid` follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPaid {
    pub order_id: OrderId,
    pub event_id: EventId,
    pub total_minor: i64,
    pub currency: String,
    pub channel: String,
    pub paid_at: DateTime<Utc>,
}

impl DomainEvent for OrderPaid {
    const KIND: &'static str = "order.paid";

    fn subject_id(&self) -> String {
        self.order_id.to_string()
    }
}
