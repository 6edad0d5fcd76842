//! `referrals_0004_mail_queue`: the indexes behind the sweep's two mail questions, asked every
//! few seconds across all organizations — which purchase participants have not had their link
//! mail (`source`, `mailed_at`, oldest first) and which rewards staff have not heard of
//! (`state`, oldest first) — so that each round reads the few rows it sends instead of every
//! participant and reward ever made.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

pub(super) struct M0004MailQueue;

impl MigrationName for M0004MailQueue {
    fn name(&self) -> &str {
        "referrals_0004_mail_queue"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004MailQueue {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![],
            vec![
                index(
                    "referral_participants",
                    &["source", "mailed_at", "created_at"],
                ),
                index("referral_rewards", &["state", "earned_at"]),
            ],
        )
        .await
    }
}
