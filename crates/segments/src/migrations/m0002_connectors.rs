//! `segments_0002_connectors`: the organization's connectors, and what was last pushed to each.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

pub(super) struct M0002Connectors;

impl MigrationName for M0002Connectors {
    fn name(&self) -> &str {
        "segments_0002_connectors"
    }
}

/// The last pushed set is keyed by connector and target (audience, list, URL) with the customer
/// last: a dry run reads one connector's target in key order, and a push replaces it whole.
#[async_trait::async_trait]
impl MigrationTrait for M0002Connectors {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connectors = tenant_table("segment_connectors")
            .col(ColumnDef::new(name("kind")).string_len(20).not_null())
            .col(text("name"))
            .col(json("settings"))
            .col(text_null("credential"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let mut pushed = Table::create();
        pushed
            .table(name("segment_push_members"))
            .col(
                ColumnDef::new(name("organization_id"))
                    .string_len(40)
                    .not_null(),
            )
            .col(id_ref("connector_id"))
            .col(ColumnDef::new(name("target")).string_len(1000).not_null())
            .col(id_ref("member_key"))
            .col(timestamp("pushed_at"))
            .primary_key(
                Index::create()
                    .col(name("organization_id"))
                    .col(name("connector_id"))
                    .col(name("target"))
                    .col(name("member_key")),
            );
        create_all(manager, vec![connectors, pushed.to_owned()], vec![]).await
    }
}
