//! The segments tables. Every table leads with `organization_id` (DESIGN §2.2a).

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

mod m0002_connectors;
mod m0003_tag_actions;

/// The segments' own migrations (ticketing's come first, from its module).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(M0001Segments),
        Box::new(m0002_connectors::M0002Connectors),
        Box::new(m0003_tag_actions::M0003TagActions),
        Box::new(crate::sends::store::M0004Sends),
        Box::new(crate::view_audiences::M0005ViewAudiences),
    ]
}

struct M0001Segments;

impl MigrationName for M0001Segments {
    fn name(&self) -> &str {
        "segments_0001_segments_and_views"
    }
}

/// A segment stores its event filter as JSON: the definition is read whole, never queried into.
#[async_trait::async_trait]
impl MigrationTrait for M0001Segments {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let segments = tenant_table("segments")
            .col(text("name"))
            .col(text_null("description"))
            .col(json("definition"))
            .col(timestamp_null("removed_at"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let views = tenant_table("segment_views")
            .col(id_ref("segment_id"))
            .col(text("name"))
            .col(json("filters"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        create_all(
            manager,
            vec![segments, views],
            vec![index("segment_views", &["organization_id", "segment_id"])],
        )
        .await
    }
}
