//! The bulk-tag tables (migration `segments_0003_tag_actions`).

pub mod segment_tag_actions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "segment_tag_actions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub segment_id: String,
        pub tag: String,
        pub selection: Json,
        pub actor: Option<String>,
        pub status: String,
        pub job_id: Option<String>,
        pub undo_job_id: Option<String>,
        pub members: i64,
        pub added: i64,
        pub removed: i64,
        pub created_at: DateTimeUtc,
        pub undone_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod segment_tag_action_customers {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "segment_tag_action_customers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub action_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
