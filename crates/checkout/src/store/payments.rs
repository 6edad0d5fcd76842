//! checkout_0008: the payment provider of each organization, the Stripe events already handled
//! (so a replayed or redelivered event changes nothing), and every refund checkout asked a
//! provider for (so it is asked once, and a failure stays visible).

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

/// One row per organization that chose a provider; none means the test provider.
pub mod checkout_payment_settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "checkout_payment_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        /// `test` or `stripe`.
        pub provider: String,
        pub stripe_publishable_key: Option<String>,
        /// Sealed with the server's key (`fullhouse_core::secrets`), never plaintext.
        pub stripe_secret_key: Option<String>,
        /// Sealed with the server's key, never plaintext.
        pub stripe_webhook_secret: Option<String>,
        /// A hidden override of Stripe's API address (tests, a proxy). Set only by the server's
        /// operator (not through the API: it would send the secret key elsewhere).
        pub stripe_api_base: Option<String>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A Stripe event this organization's webhook handled, by Stripe's event id.
pub mod checkout_stripe_events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "checkout_stripe_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: String,
        pub event_type: String,
        pub order_id: Option<String>,
        /// What it did: `paid`, `ignored`, `amount_mismatch`, `late_refunded`, …
        pub outcome: String,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A refund of one payment of one order: claimed (`pending`) before the provider is called,
/// then `refunded` or `failed` with the provider's answer.
pub mod checkout_refunds {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "checkout_refunds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_id: String,
        /// The payment given back (Stripe: the PaymentIntent).
        #[sea_orm(primary_key, auto_increment = false)]
        pub payment_reference: String,
        pub provider: String,
        /// `cancelled` (the order was refunded), `late` (paid after its hold ended) or
        /// `duplicate` (a second payment of a paid order).
        pub reason: String,
        pub amount_minor: i64,
        pub currency: String,
        /// `pending`, `refunded` or `failed`.
        pub status: String,
        pub refund_reference: Option<String>,
        pub error: Option<String>,
        pub attempts: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub struct M0008StripeEvents;

impl MigrationName for M0008StripeEvents {
    fn name(&self) -> &str {
        "checkout_0008_stripe_events"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0008StripeEvents {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut settings = Table::create();
        settings
            .table(name("checkout_payment_settings"))
            .col(
                ColumnDef::new(name("organization_id"))
                    .string_len(40)
                    .not_null()
                    .primary_key(),
            )
            .col(text("provider"))
            .col(text_null("stripe_publishable_key"))
            .col(text_null("stripe_secret_key"))
            .col(text_null("stripe_webhook_secret"))
            .col(text_null("stripe_api_base"))
            .col(timestamp("updated_at"));
        let mut events = Table::create();
        events
            .table(name("checkout_stripe_events"))
            .col(
                ColumnDef::new(name("organization_id"))
                    .string_len(40)
                    .not_null(),
            )
            .col(ColumnDef::new(name("event_id")).string_len(255).not_null())
            .col(text("event_type"))
            .col(id_ref_null("order_id"))
            .col(text("outcome"))
            .col(timestamp("received_at"))
            .primary_key(
                Index::create()
                    .col(name("organization_id"))
                    .col(name("event_id")),
            );
        let mut refunds = Table::create();
        refunds
            .table(name("checkout_refunds"))
            .col(
                ColumnDef::new(name("organization_id"))
                    .string_len(40)
                    .not_null(),
            )
            .col(id_ref("order_id"))
            .col(
                ColumnDef::new(name("payment_reference"))
                    .string_len(255)
                    .not_null(),
            )
            .col(text("provider"))
            .col(text("reason"))
            .col(int("amount_minor"))
            .col(text("currency"))
            .col(text("status"))
            .col(text_null("refund_reference"))
            .col(text_null("error"))
            .col(int("attempts"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .primary_key(
                Index::create()
                    .col(name("organization_id"))
                    .col(name("order_id"))
                    .col(name("payment_reference")),
            );
        create_all(
            manager,
            vec![settings.to_owned(), events.to_owned(), refunds.to_owned()],
            vec![index("checkout_refunds", &["organization_id", "status"])],
        )
        .await
    }
}
