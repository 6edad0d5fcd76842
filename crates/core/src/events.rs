//! The domain-event outbox: facts other modules react to ("order placed", "customer changed"),
//! written in the same transaction as the change so that nothing is lost on a crash. The segment
//! index and jobs read them in `seq` order.

use chrono::Utc;
use sea_orm::{ConnectionTrait, Set};

use crate::error::Result;
use crate::ids::OrgId;
use crate::tenancy::store::domain_events;

/// Appends one event to the outbox inside the caller's transaction.
pub async fn record(
    txn: &impl ConnectionTrait,
    org: &OrgId,
    kind: &str,
    subject_id: &str,
    payload: serde_json::Value,
) -> Result<()> {
    record_many(
        txn,
        org,
        vec![NewEvent {
            kind,
            subject_id: subject_id.to_string(),
            payload,
        }],
    )
    .await
}

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewEvent<'k> {
    pub kind: &'k str,
    pub subject_id: String,
    pub payload: serde_json::Value,
}

/// Events appended together (orders placed as a group), in order, with one multi-row insert
/// per chunk; nothing is read back.
pub async fn record_many(
    txn: &impl ConnectionTrait,
    org: &OrgId,
    events: Vec<NewEvent<'_>>,
) -> Result<()> {
    let now = Utc::now();
    let rows: Vec<domain_events::ActiveModel> = events
        .into_iter()
        .map(|event| domain_events::ActiveModel {
            seq: sea_orm::NotSet,
            organization_id: Set(org.to_string()),
            kind: Set(event.kind.to_string()),
            subject_id: Set(event.subject_id),
            payload: Set(event.payload),
            created_at: Set(now),
        })
        .collect();
    crate::db::insert_rows(txn, rows).await?;
    Ok(())
}
