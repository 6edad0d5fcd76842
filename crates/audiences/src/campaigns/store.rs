//! The campaign tables: definitions, the use counters (one per code and event, or per code
//! across events) and the redemptions behind the report.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

pub struct M0002Campaigns;

impl MigrationName for M0002Campaigns {
    fn name(&self) -> &str {
        "audiences_0002_campaigns"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Campaigns {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let campaigns = tenant_table("campaigns")
            .col(text("name"))
            .col(text("public_label"))
            .col(text("status"))
            .col(json("audience_ids"))
            .col(json("event_ids"))
            .col(json("production_ids"))
            .col(json("effects"))
            .col(timestamp_null("valid_from"))
            .col(timestamp_null("valid_until"))
            .col(int_null("max_tickets_per_order"))
            .col(text("limit_scope"))
            .col(text("counting"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let mut uses = Table::create();
        uses.table(name("campaign_code_uses"))
            .col(
                ColumnDef::new(name("organization_id"))
                    .string_len(40)
                    .not_null(),
            )
            .col(id_ref("campaign_id"))
            .col(id_ref("member_id"))
            // An event id, or `*` when the campaign counts once across all its events.
            .col(text("scope_key"))
            .col(int_default("used", 0))
            .primary_key(
                Index::create()
                    .col(name("organization_id"))
                    .col(name("campaign_id"))
                    .col(name("member_id"))
                    .col(name("scope_key")),
            );
        let redemptions = tenant_table("campaign_redemptions")
            .col(id_ref("campaign_id"))
            .col(id_ref("member_id"))
            .col(text("code"))
            .col(id_ref("order_id"))
            .col(id_ref("event_id"))
            .col(text("scope_key"))
            .col(int("uses"))
            .col(timestamp("created_at"))
            .col(timestamp_null("returned_at"))
            .to_owned();
        create_all(
            manager,
            vec![campaigns, uses.to_owned(), redemptions],
            vec![
                index("campaign_redemptions", &["organization_id", "campaign_id"]),
                index("campaign_redemptions", &["organization_id", "order_id"]),
            ],
        )
        .await
    }
}

/// When a redemption's order was paid (`campaign_redemptions.paid_at`), so that the report
/// tells uses of paid orders from uses held by orders awaiting payment. Redemptions of orders
/// checkout recorded as paid before this get the order's payment time.
pub struct M0003PaidRedemptions;

impl MigrationName for M0003PaidRedemptions {
    fn name(&self) -> &str {
        "audiences_0003_paid_redemptions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003PaidRedemptions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("campaign_redemptions"))
                    .add_column(timestamp_null("paid_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE campaign_redemptions SET paid_at = ( \
                   SELECT c.paid_at FROM checkout_orders c \
                   WHERE c.organization_id = campaign_redemptions.organization_id \
                     AND c.id = campaign_redemptions.order_id) \
                 WHERE EXISTS ( \
                   SELECT 1 FROM checkout_orders c \
                   WHERE c.organization_id = campaign_redemptions.organization_id \
                     AND c.id = campaign_redemptions.order_id AND c.paid_at IS NOT NULL)",
            )
            .await?;
        Ok(())
    }
}

pub mod campaigns {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "campaigns")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub public_label: String,
        pub status: String,
        pub audience_ids: Json,
        pub event_ids: Json,
        pub production_ids: Json,
        pub effects: Json,
        pub valid_from: Option<DateTimeUtc>,
        pub valid_until: Option<DateTimeUtc>,
        pub max_tickets_per_order: Option<i64>,
        pub limit_scope: String,
        pub counting: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod campaign_code_uses {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "campaign_code_uses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub campaign_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub scope_key: String,
        pub used: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod campaign_redemptions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "campaign_redemptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub campaign_id: String,
        pub member_id: String,
        pub code: String,
        pub order_id: String,
        pub event_id: String,
        pub scope_key: String,
        pub uses: i64,
        pub created_at: DateTimeUtc,
        pub returned_at: Option<DateTimeUtc>,
        /// When the order was paid; `None` while it awaits payment (its uses are held).
        pub paid_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
