//! `referrals_0002_hit_visitors`: an index for the hit recorder's duplicate check.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

pub struct M0002HitVisitors;

impl MigrationName for M0002HitVisitors {
    fn name(&self) -> &str {
        "referrals_0002_hit_visitors"
    }
}

/// The recorder asks, once per batch, for the last counted click of each visitor on each link
/// within the hour; without `visitor` in an index that reads every hit of a busy link's hour.
#[async_trait::async_trait]
impl MigrationTrait for M0002HitVisitors {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                index(
                    "referral_hits",
                    &["organization_id", "participant_id", "visitor", "at"],
                )
                .to_owned(),
            )
            .await
    }
}
