//! The facts ticketing publishes to the domain-event outbox ([`fullhouse_core::events`]): an
//! order placed, paid or released (expired, cancelled, refunded), a customer changed. Other modules follow them with a
//! [`fullhouse_core::events::Follower`] (`.kind::<OrderPlaced>()`) and decode them with
//! [`fullhouse_core::events::StoredEvent::decode`].
//!
//! (Named `outbox`, not `events`: in ticketing an event is a performance.)
//!
//! The serde shapes below are what the outbox rows hold, rows written before these types existed
//! included; see [`DomainEvent`] for the rules on changing them.

use chrono::{DateTime, Utc};
use fullhouse_core::events::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::model::ids::{CustomerId, EventId, OrderId};
use crate::model::orders::OrderStatus;

/// An order as the outbox describes it when it is placed or cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub order_id: OrderId,
    /// The buyer; none for an anonymous sale.
    pub customer_id: Option<CustomerId>,
    /// The events (performances) of the order's tickets, each once: for a cancellation, those of
    /// the tickets it cancelled.
    pub event_ids: Vec<EventId>,
    /// Tickets placed (or, for a cancellation, cancelled).
    pub ticket_count: u64,
    pub total_minor: i64,
    pub currency: String,
    /// `online`, `box_office`, … (`model::orders::Channel`).
    pub channel: String,
    /// `fullhouse` or the platform an imported order came from.
    pub source: String,
    pub created_at: DateTime<Utc>,
    /// The order's state after the fact: `awaiting_payment` or `paid` when placed; `expired`,
    /// `cancelled` or `refunded` when released. Absent from events written before orders had
    /// these states (a placed order was then paid or held by checkout; a release, cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    /// The referral code the order was placed through (absent when none, and from events
    /// written before orders kept one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_code: Option<String>,
}

/// `order.placed`: an order and its tickets were written, paid (box office, API, imports) or
/// awaiting payment (online through checkout, paid later: see [`OrderPaid`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderPlaced(pub OrderSummary);

impl DomainEvent for OrderPlaced {
    const KIND: &'static str = "order.placed";

    fn subject_id(&self) -> String {
        self.0.order_id.to_string()
    }
}

/// `order.paid`: the payment of an order awaiting it was taken. Modules that count money
/// (referral revenue, reports) and purchases (the segment index) react to this, not to the hold.
/// Orders paid when placed (box office, API, imports) have `status: paid` in their
/// `order.placed` and no `order.paid` follows.
///
/// Recorded by ticketing's `mark_paid_in_transaction`, which checkout calls in its payment
/// transaction. (Checkout recorded it itself before order states moved into ticketing; the kind
/// and the payload are the same, so those rows read as this type.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPaid {
    pub order_id: OrderId,
    pub event_id: EventId,
    pub total_minor: i64,
    pub currency: String,
    pub channel: String,
    pub paid_at: DateTime<Utc>,
    /// The buyer; none for an anonymous sale, and absent from events checkout wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
}

impl DomainEvent for OrderPaid {
    const KIND: &'static str = "order.paid";

    fn subject_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `order.cancelled`: an order was released (the hold ran out, it was cancelled, or refunded:
/// see the summary's `status`); its tickets were cancelled and their seats and places given back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderCancelled(pub OrderSummary);

impl DomainEvent for OrderCancelled {
    const KIND: &'static str = "order.cancelled";

    fn subject_id(&self) -> String {
        self.0.order_id.to_string()
    }
}

/// `customer.changed`: a customer was created, updated or erased, or withdrew a permission. It
/// says which customer, not what changed in detail: readers re-read the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerChanged {
    pub id: CustomerId,
    /// What happened to the profile; absent when a permission was withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<CustomerChange>,
    /// The permission withdrawn (one-click unsubscribe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_withdrawn: Option<String>,
    /// Where the withdrawal came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl CustomerChanged {
    /// The profile was created, updated or erased.
    pub fn new(id: CustomerId, change: CustomerChange) -> Self {
        Self {
            id,
            change: Some(change),
            permission_withdrawn: None,
            source: None,
        }
    }

    /// The customer withdrew `permission` through `source`.
    pub fn permission_withdrawn(id: CustomerId, permission: &str, source: &str) -> Self {
        Self {
            id,
            change: None,
            permission_withdrawn: Some(permission.to_string()),
            source: Some(source.to_string()),
        }
    }
}

impl DomainEvent for CustomerChanged {
    const KIND: &'static str = "customer.changed";

    fn subject_id(&self) -> String {
        self.id.to_string()
    }
}

/// What happened to a customer's profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomerChange {
    Created,
    Updated,
    Erased,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payloads_written_before_the_types_existed_still_read_and_write_back_the_same() {
        let placed = json!({
            "order_id": "ord_01JD8Y3Q6W2V7X9K4M5N6P7R8S",
            "customer_id": null,
            "event_ids": ["evt_01JD8Y3Q6W2V7X9K4M5N6P7R8T"],
            "ticket_count": 2,
            "total_minor": 45000,
            "currency": "DKK",
            "channel": "online",
            "source": "fullhouse",
            "created_at": "2026-12-04T17:00:00.123456Z",
        });
        let read: OrderPlaced = serde_json::from_value(placed.clone()).expect("order.placed reads");
        assert_eq!(read.0.ticket_count, 2);
        assert_eq!(serde_json::to_value(&read).expect("writes"), placed);

        assert_eq!(read.0.status, None);

        let paid_by_checkout = json!({
            "order_id": "ord_01JD8Y3Q6W2V7X9K4M5N6P7R8S",
            "event_id": "evt_01JD8Y3Q6W2V7X9K4M5N6P7R8T",
            "total_minor": 45000,
            "currency": "DKK",
            "channel": "online",
            "paid_at": "2026-12-04T17:05:00.123456Z",
        });
        let read: OrderPaid = serde_json::from_value(paid_by_checkout.clone()).expect("reads");
        assert_eq!(read.customer_id, None);
        assert_eq!(
            serde_json::to_value(&read).expect("writes"),
            paid_by_checkout
        );

        let changed = json!({"id": "cus_01JD8Y3Q6W2V7X9K4M5N6P7R8V", "change": "erased"});
        let read: CustomerChanged = serde_json::from_value(changed.clone()).expect("reads");
        assert_eq!(read.change, Some(CustomerChange::Erased));
        assert_eq!(serde_json::to_value(&read).expect("writes"), changed);

        let withdrawn = json!({
            "id": "cus_01JD8Y3Q6W2V7X9K4M5N6P7R8V",
            "permission_withdrawn": "newsletter",
            "source": "unsubscribe_link",
        });
        let read: CustomerChanged = serde_json::from_value(withdrawn.clone()).expect("reads");
        assert_eq!(read.change, None);
        assert_eq!(serde_json::to_value(&read).expect("writes"), withdrawn);
    }
}
