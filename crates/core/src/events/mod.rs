//! The domain-event outbox: facts other modules react to ("order placed", "customer changed"),
//! written in the same transaction as the change so that nothing is lost on a crash, and read by
//! one mechanism, the [`Follower`].
//!
//! # Writing
//!
//! Every kind of event is a payload type implementing [`DomainEvent`], owned by the module whose
//! fact it is (ticketing's `OrderPlaced`, `OrderPaid`, `OrderCancelled`, `CustomerChanged` in
//! `fullhouse_ticketing::outbox`: ticketing keeps the order's state, checkout moves it). Its
//! [`DomainEvent::KIND`] is the `kind` column and its serde shape is the `payload` column, so
//! changing a payload type changes what old rows must still read as: add optional fields, never
//! rename. A writer calls [`record`] (or [`record_many`]) inside its own transaction:
//!
//! ```ignore
//! events::record(&txn, &org, &OrderCancelled(summary)).await?;
//! ```
//!
//! # Following
//!
//! A consumer builds one [`Follower`] and polls it: [`Follower::next_batch`] returns the events
//! it has not yet handled, the consumer handles them, then calls [`Follower::acknowledge`]. The
//! follower is either durable (its position is a row of `event_cursors`, named after the
//! consumer, and survives restarts: checkout's cancellation follower) or in memory (the segment
//! index, which is rebuilt from the database at start, so its follower starts with
//! [`Follower::starting_now`] just before the build reads the database). It filters by kind ([`Follower::kind`]) and, optionally, by
//! organization ([`Follower::organization`]).
//!
//! **Delivery is at least once, and handlers must be idempotent.** An event is delivered again
//! when the handler fails before acknowledging, when a process restarts (the re-read window below
//! is delivered again), and when two processes follow under the same durable name. Good handlers
//! re-read the state the event names (the segment index re-reads the customer) or make their
//! change conditional (checkout releases an order only while it is still open).
//!
//! # Why a re-read window
//!
//! `seq` is taken when the event row is inserted, but the row becomes visible when its
//! transaction commits. On PostgreSQL, transaction A can take seq 100, transaction B seq 101, B
//! commits, a follower reads 101 and moves past it, and only then A commits 100. A follower that
//! only ever read `seq > position` would never see 100. So each round the follower also looks at
//! `seq > position - window` and delivers the rows there it has not delivered yet (it remembers
//! the seqs it delivered inside the window, in memory). See [`DEFAULT_REREAD_WINDOW`] for how the
//! window is sized. SQLite has one writer at a time, so there seq order is commit order and the
//! window only costs one small query.

mod follower;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids::OrgId;
use crate::tenancy::store::domain_events;

pub use follower::{event_cursors, Batch, Follower, DEFAULT_BATCH_SIZE, DEFAULT_REREAD_WINDOW};

/// A kind of domain event: its name in the outbox and the payload stored with it.
///
/// The payload's serde shape is the stored JSON. Old rows stay in the table forever, so a new
/// field must be optional (`#[serde(default)]`), and a field is never renamed or retyped.
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// The `kind` column, `"module.fact"` (`"order.placed"`). Unique across modules.
    const KIND: &'static str;

    /// The id of what the event is about (an order, a customer): the `subject_id` column.
    fn subject_id(&self) -> String;
}

/// Appends one event to the outbox inside the caller's transaction.
pub async fn record<E: DomainEvent>(
    txn: &impl ConnectionTrait,
    org: &OrgId,
    event: &E,
) -> Result<()> {
    record_many(txn, org, std::slice::from_ref(event)).await
}

/// Events of one kind appended together (orders placed as a group), in order, with one multi-row
/// insert per chunk; nothing is read back.
pub async fn record_many<E: DomainEvent>(
    txn: &impl ConnectionTrait,
    org: &OrgId,
    events: &[E],
) -> Result<()> {
    let now = Utc::now();
    let rows = events
        .iter()
        .map(|event| {
            let payload = serde_json::to_value(event).map_err(|err| {
                Error::internal(format!("a {} event does not serialize: {err}", E::KIND))
            })?;
            Ok(domain_events::ActiveModel {
                seq: sea_orm::NotSet,
                organization_id: Set(org.to_string()),
                kind: Set(E::KIND.to_string()),
                subject_id: Set(event.subject_id()),
                payload: Set(payload),
                created_at: Set(now),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    crate::db::insert_rows(txn, rows).await?;
    Ok(())
}

/// One event as read back from the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The outbox position: increasing in insert order (not always in commit order, see the
    /// module docs).
    pub seq: i64,
    pub org: OrgId,
    pub kind: String,
    pub subject_id: String,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl StoredEvent {
    /// True when this event is of kind `E`.
    pub fn is<E: DomainEvent>(&self) -> bool {
        self.kind == E::KIND
    }

    /// The payload as `E`; an error when the event is of another kind or its payload does not
    /// read as `E` (a row written by a version that broke the payload's shape).
    pub fn decode<E: DomainEvent>(&self) -> Result<E> {
        if !self.is::<E>() {
            return Err(Error::internal(format!(
                "domain event {} is a {}, not a {}",
                self.seq,
                self.kind,
                E::KIND
            )));
        }
        serde_json::from_value(self.payload.clone()).map_err(|err| {
            Error::internal(format!(
                "domain event {} ({}) has a payload that does not read: {err}",
                self.seq, self.kind
            ))
        })
    }
}

impl From<domain_events::Model> for StoredEvent {
    fn from(row: domain_events::Model) -> Self {
        Self {
            seq: row.seq,
            org: OrgId::from_db(row.organization_id),
            kind: row.kind,
            subject_id: row.subject_id,
            payload: row.payload,
            created_at: row.created_at,
        }
    }
}

/// The newest outbox position, of one organization or of all (0 when there is none yet).
pub async fn latest_seq(conn: &impl ConnectionTrait, org: Option<&OrgId>) -> Result<i64> {
    let mut query = domain_events::Entity::find().order_by_desc(domain_events::Column::Seq);
    if let Some(org) = org {
        query = query.filter(domain_events::Column::OrganizationId.eq(org.as_str()));
    }
    Ok(query.one(conn).await?.map_or(0, |row| row.seq))
}
