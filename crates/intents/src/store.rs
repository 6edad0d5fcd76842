//! The intents tables as SeaORM entities: written once, run on SQLite and PostgreSQL.
/// One row per intent.
pub mod intents {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "intents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub customer_id: String,
        pub event_id: String,
        pub shop_id: Option<String>,
        pub order_id: Option<String>,
        pub strategy: String,
        pub status: String,
        pub items: Json,
        pub coupon: Option<String>,
        pub company: Option<String>,
        pub delivery: String,
        pub pay_by: Option<DateTimeUtc>,
        pub remind_days: i64,
        /// When the reminder is due (see `model::reminder_due_at`); `None`: no reminder.
        pub remind_at: Option<DateTimeUtc>,
        pub reminder_sent_at: Option<DateTimeUtc>,
        pub send_mail: bool,
        pub ticket_count: i64,
        pub total_minor: i64,
        pub currency: String,
        pub token: String,
        pub import_id: Option<String>,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What happened to an intent, who did it, when.
pub mod intent_history {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "intent_history")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub intent_id: String,
        pub action: String,
        pub actor: String,
        pub detail: Option<String>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One row per imported ticket row: `id` is its `model::row_key`.
pub mod intent_row_keys {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "intent_row_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub intent_id: String,
        pub import_id: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An event's default strategy: `id` is the event's id.
pub mod intent_event_defaults {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "intent_event_defaults")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub strategy: String,
        pub pay_days: i64,
        pub remind_days: i64,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
