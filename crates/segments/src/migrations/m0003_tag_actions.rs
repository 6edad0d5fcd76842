//! `segments_0003_tag_actions`: the bulk tags, each with the customers it added its tag to.
//!
//! The customers are kept, not recomputed, because undo must remove exactly what the action
//! added: a customer who had the tag before keeps it, and a view's members change over time.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

pub struct M0003TagActions;

impl MigrationName for M0003TagActions {
    fn name(&self) -> &str {
        "segments_0003_tag_actions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003TagActions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let actions = tenant_table("segment_tag_actions")
            .col(id_ref("segment_id"))
            .col(text("tag"))
            // The Selection as started, so the page can say which view it was.
            .col(json("selection"))
            .col(text_null("actor"))
            // tagging → tagged → undoing → undone.
            .col(text("status"))
            .col(id_ref_null("job_id"))
            .col(id_ref_null("undo_job_id"))
            .col(int_default("members", 0))
            .col(int_default("added", 0))
            .col(int_default("removed", 0))
            .col(timestamp("created_at"))
            .col(timestamp_null("undone_at"))
            .to_owned();
        let customers = Table::create()
            .table(name("segment_tag_action_customers"))
            .col(id_ref("organization_id"))
            .col(id_ref("action_id"))
            .col(id_ref("customer_id"))
            .primary_key(
                Index::create()
                    .col(name("organization_id"))
                    .col(name("action_id"))
                    .col(name("customer_id")),
            )
            .to_owned();
        create_all(
            manager,
            vec![actions, customers],
            vec![index(
                "segment_tag_actions",
                &["organization_id", "segment_id", "created_at"],
            )],
        )
        .await
    }
}
