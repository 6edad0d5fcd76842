//! The referral tables as SeaORM entities: written once, run on SQLite and PostgreSQL.

/// One row per promotion; tiers and staff addresses as JSON (read whole).
pub mod referral_promotions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral_promotions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub event_id: Option<String>,
        pub production_id: Option<String>,
        pub opens_at: DateTimeUtc,
        pub closes_at: DateTimeUtc,
        pub attribution_days: i64,
        pub counts: String,
        pub tiers: Json,
        pub staff_emails: Json,
        pub closed_at: Option<DateTimeUtc>,
        pub closed_by: Option<String>,
        pub close_notice_sent_at: Option<DateTimeUtc>,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One buyer in one promotion, with their tracking code and progress token.
pub mod referral_participants {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral_participants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub promotion_id: String,
        pub customer_id: String,
        pub email: String,
        pub name: String,
        pub code: String,
        pub token: String,
        pub source: String,
        pub language: String,
        pub first_order_id: Option<String>,
        pub mailed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every hit on a tracking link, with its class and reason.
pub mod referral_hits {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral_hits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub promotion_id: String,
        pub participant_id: String,
        pub at: DateTimeUtc,
        pub class: String,
        pub reason: String,
        pub method: String,
        pub visitor: String,
        pub network: String,
        pub user_agent: Option<String>,
        pub referer: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What an order recording a code is to its participant (`id` is the order's id).
pub mod referral_orders {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral_orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub promotion_id: String,
        pub participant_id: String,
        pub customer_id: Option<String>,
        pub code: String,
        pub verdict: String,
        pub source: String,
        pub tickets: i64,
        pub revenue_minor: i64,
        pub currency: String,
        pub placed_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The reward ledger: one row per participant and tier reached.
pub mod referral_rewards {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral_rewards")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub promotion_id: String,
        pub participant_id: String,
        pub tier_tickets: i64,
        pub reward: String,
        pub state: String,
        pub earned_at: DateTimeUtc,
        pub reminded_at: Option<DateTimeUtc>,
        pub fulfilled_at: Option<DateTimeUtc>,
        pub fulfilled_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One random salt per organization (`id` is the organization's id) for the address hashes.
pub mod referral_salts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "referral_salts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub salt: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
