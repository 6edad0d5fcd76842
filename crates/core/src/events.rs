//! The domain-event outbox: facts other modules react to ("order placed", "customer changed"),
//! written in the same transaction as the change so that nothing is lost on a crash. The segment
//! index and jobs read them in `seq` order.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

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
    domain_events::ActiveModel {
        seq: sea_orm::NotSet,
        organization_id: Set(org.to_string()),
        kind: Set(kind.to_string()),
        subject_id: Set(subject_id.to_string()),
        payload: Set(payload),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(())
}
