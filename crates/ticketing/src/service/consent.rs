//! Customer permissions as the mail layer sees them: "may this customer receive this kind of
//! marketing mail?" and "withdraw it" (one-click unsubscribe).

use chrono::Utc;
use fullhouse_core::mail::ConsentRegistry;
use fullhouse_core::{Db, OrgId, Result};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use crate::model::ids::CustomerId;
use crate::outbox::CustomerChanged;
use crate::store::customer_permissions;

/// Answers consent questions from the `customer_permissions` table.
pub struct CustomerConsents {
    db: Db,
}

impl CustomerConsents {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl ConsentRegistry for CustomerConsents {
    async fn allows(&self, org: &OrgId, customer_id: &str, permission: &str) -> Result<bool> {
        let found = customer_permissions::Entity::find_by_id((
            org.to_string(),
            customer_id.to_string(),
            permission.to_string(),
        ))
        .one(self.db.reader())
        .await?;
        Ok(found.is_some_and(|p| p.granted))
    }

    async fn withdraw(
        &self,
        org: &OrgId,
        customer_id: &str,
        permission: &str,
        source: &str,
    ) -> Result<()> {
        let txn = self.db.begin_write().await?;
        let row = customer_permissions::ActiveModel {
            organization_id: Set(org.to_string()),
            customer_id: Set(customer_id.to_string()),
            permission: Set(permission.to_string()),
            granted: Set(false),
            changed_at: Set(Utc::now()),
            source: Set(source.to_string()),
        };
        customer_permissions::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    customer_permissions::Column::OrganizationId,
                    customer_permissions::Column::CustomerId,
                    customer_permissions::Column::Permission,
                ])
                .update_columns([
                    customer_permissions::Column::Granted,
                    customer_permissions::Column::ChangedAt,
                    customer_permissions::Column::Source,
                ])
                .to_owned(),
            )
            .exec(&txn)
            .await?;
        let id = CustomerId::from_db(customer_id.to_string());
        let event = CustomerChanged::permission_withdrawn(id, permission, source);
        fullhouse_core::events::record(&txn, org, &event).await?;
        txn.commit().await?;
        Ok(())
    }
}
