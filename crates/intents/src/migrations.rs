//! The intents tables. Every table leads with `organization_id` (DESIGN §2.2a).

mod digests;

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

/// The intents' own migrations (ticketing's and checkout's come first, from their modules).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(M0001Intents), Box::new(digests::M0003Digests)]
}

struct M0001Intents;

impl MigrationName for M0001Intents {
    fn name(&self) -> &str {
        "intents_0001_intents"
    }
}

/// An intent keeps its lines as JSON (read whole, to place its order again when reopened); the
/// columns lists filter and sort on are columns. `intent_row_keys` is what makes an import
/// idempotent (see `model::row_key`): its primary key refuses a row booked before.
#[async_trait::async_trait]
impl MigrationTrait for M0001Intents {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let intents = tenant_table("intents")
            .col(id_ref("customer_id"))
            .col(id_ref("event_id"))
            .col(id_ref_null("shop_id"))
            .col(id_ref_null("order_id"))
            .col(text("strategy"))
            .col(text("status"))
            .col(json("items"))
            .col(text_null("coupon"))
            .col(text_null("company"))
            .col(text("delivery"))
            .col(timestamp_null("pay_by"))
            .col(int("remind_days"))
            .col(timestamp_null("remind_at"))
            .col(timestamp_null("reminder_sent_at"))
            .col(boolean("send_mail", false))
            .col(int("ticket_count"))
            .col(int("total_minor"))
            .col(text("currency"))
            .col(text("token"))
            .col(id_ref_null("import_id"))
            .col(text("created_by"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let history = tenant_table("intent_history")
            .col(id_ref("intent_id"))
            .col(text("action"))
            .col(text("actor"))
            .col(text_null("detail"))
            .col(timestamp("at"))
            .to_owned();
        let keys = tenant_table("intent_row_keys")
            .col(id_ref("intent_id"))
            .col(id_ref_null("import_id"))
            .col(timestamp("created_at"))
            .to_owned();
        let defaults = tenant_table("intent_event_defaults")
            .col(text("strategy"))
            .col(int("pay_days"))
            .col(int("remind_days"))
            .col(timestamp("updated_at"))
            .to_owned();
        create_all(
            manager,
            vec![intents, history, keys, defaults],
            vec![
                unique("intents", &["organization_id", "token"]),
                index("intents", &["organization_id", "status", "pay_by"]),
                index("intents", &["status", "remind_at"]),
                index("intents", &["organization_id", "event_id"]),
                index("intents", &["organization_id", "order_id"]),
                index("intents", &["organization_id", "import_id"]),
                index("intent_history", &["organization_id", "intent_id"]),
            ],
        )
        .await
    }
}
