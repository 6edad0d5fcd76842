//! The connector tables as SeaORM entities: written once, run on SQLite and PostgreSQL.

pub mod segment_connectors {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "segment_connectors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub kind: String,
        pub name: String,
        pub settings: Json,
        /// Sealed with the server's key (see `fullhouse_core::secrets`); never sent out.
        pub credential: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod segment_push_members {
    use sea_orm::entity::prelude::*;

    /// One customer of the last successful push to a connector's target.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "segment_push_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub connector_id: String,
        /// The audience, list or URL pushed to (see `Connector::target`).
        #[sea_orm(primary_key, auto_increment = false)]
        pub target: String,
        /// The customer id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_key: String,
        pub pushed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
