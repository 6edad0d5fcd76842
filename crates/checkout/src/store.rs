//! Checkout's tables: the payment state of each order it sold, and the code uses each order
//! took (so that cancelling or expiring gives back exactly those). Ticketing keeps the order and
//! its tickets; these rows are keyed by the same order id.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

mod order_states;
mod payments;
mod shop_orders;

pub use order_states::M0005OrderStates;
pub use payments::{
    checkout_payment_settings, checkout_refunds, checkout_stripe_events, M0008StripeEvents,
};
pub use shop_orders::M0007ShopOrders;

pub mod checkout_orders {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "checkout_orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        /// Ticketing's order id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub event_id: String,
        pub channel: String,
        pub status: String,
        pub total_minor: i64,
        pub currency: String,
        pub expires_at: Option<DateTimeUtc>,
        pub payment_provider: String,
        pub payment_reference: Option<String>,
        /// `cash`, `card` or `invoice` for a sale paid at the counter (checkout_0004); NULL
        /// for online orders and for counter sales from before the column.
        pub payment_method: Option<String>,
        pub test_payment: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub paid_at: Option<DateTimeUtc>,
        /// The (secret) shop the order was placed in (checkout_0007); NULL for the public shop,
        /// the box office and the API.
        pub shop_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod checkout_code_uses {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "checkout_code_uses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_id: String,
        /// The grant's key (opaque: the code rules' counter).
        #[sea_orm(primary_key, auto_increment = false)]
        pub grant_key: String,
        pub code: Option<String>,
        pub label: String,
        pub event_id: String,
        pub production_id: String,
        pub customer_id: Option<String>,
        pub uses: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub struct M0001Checkout;

impl MigrationName for M0001Checkout {
    fn name(&self) -> &str {
        "checkout_0001_orders_and_code_uses"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Checkout {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let orders = tenant_table("checkout_orders")
            .col(id_ref("event_id"))
            .col(text("channel"))
            .col(text("status"))
            .col(int("total_minor"))
            .col(text("currency"))
            .col(timestamp_null("expires_at"))
            .col(text("payment_provider"))
            .col(text_null("payment_reference"))
            .col(boolean("test_payment", false))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .col(timestamp_null("paid_at"))
            .to_owned();
        let mut uses = Table::create();
        uses.table(name("checkout_code_uses"))
            .col(
                ColumnDef::new(name("organization_id"))
                    .string_len(40)
                    .not_null(),
            )
            .col(id_ref("order_id"))
            .col(ColumnDef::new(name("grant_key")).string_len(200).not_null())
            .col(text_null("code"))
            .col(text("label"))
            .col(id_ref("event_id"))
            .col(id_ref("production_id"))
            .col(id_ref_null("customer_id"))
            .col(int("uses"))
            .col(timestamp("created_at"))
            .primary_key(
                Index::create()
                    .col(name("organization_id"))
                    .col(name("order_id"))
                    .col(name("grant_key")),
            );
        create_all(
            manager,
            vec![orders, uses.to_owned()],
            vec![
                // The expiry sweep looks across organizations for holds that ran out.
                index("checkout_orders", &["status", "expires_at"]),
                index("checkout_orders", &["organization_id", "event_id"]),
            ],
        )
        .await
    }
}

pub struct M0002EventCursors;

impl MigrationName for M0002EventCursors {
    fn name(&self) -> &str {
        "checkout_0002_event_cursors"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002EventCursors {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut cursors = Table::create();
        cursors
            .table(name("checkout_event_cursors"))
            .col(
                ColumnDef::new(name("consumer"))
                    .string_len(80)
                    .not_null()
                    .primary_key(),
            )
            .col(int("last_seq"));
        create_all(manager, vec![cursors.to_owned()], Vec::new()).await
    }
}

/// Checkout's outbox cursor moves to core's `event_cursors` (core_0005), where every durable
/// follower keeps its position; `checkout_event_cursors` (checkout_0002) stays, unused, because
/// migrations are never edited or dropped. Without the copy, the cancellation follower would
/// start again at the beginning of the outbox: harmless (releasing is conditional), but slow on a
/// large outbox.
pub struct M0003CursorToCore;

impl MigrationName for M0003CursorToCore {
    fn name(&self) -> &str {
        "checkout_0003_cursor_to_core"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003CursorToCore {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO event_cursors (consumer, last_seq) \
                 SELECT consumer, last_seq FROM checkout_event_cursors",
            )
            .await?;
        Ok(())
    }
}

/// The payment method of counter sales (cash, card or invoice). Nullable: online orders have
/// none, and the counter sales made before it was asked for are not guessed.
pub struct M0004PaymentMethod;

impl MigrationName for M0004PaymentMethod {
    fn name(&self) -> &str {
        "checkout_0004_payment_method"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004PaymentMethod {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("checkout_orders"))
                    .add_column(text_null("payment_method"))
                    .to_owned(),
            )
            .await
    }
}
