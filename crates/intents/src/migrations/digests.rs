//! `intents_0003_digests`: one row per organization and day on which the organizer's digest
//! went out, so that it goes out once a day however many processes run the sweep.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

pub(super) struct M0003Digests;

impl MigrationName for M0003Digests {
    fn name(&self) -> &str {
        "intents_0003_digests"
    }
}

/// `id` is the day (`2031-01-01`, on the organization's calendar): the primary key
/// (organization, day) is the claim a sweep takes before it sends.
#[async_trait::async_trait]
impl MigrationTrait for M0003Digests {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let digests = tenant_table("intent_digests")
            .col(int("intents"))
            .col(int("recipients"))
            .col(timestamp("sent_at"))
            .to_owned();
        create_all(manager, vec![digests], vec![]).await
    }
}
