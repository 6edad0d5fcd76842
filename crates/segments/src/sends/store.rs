//! The campaign-link sends' tables: one row per send (what was sent to which selection, by whom,
//! and its counts) and one row per member of the selection (what happened to that customer).

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

pub struct M0004Sends;

impl MigrationName for M0004Sends {
    fn name(&self) -> &str {
        "segments_0004_sends"
    }
}

/// The recipients' key is (organization, send, customer): the job inserts a customer's row in
/// the transaction that queues their mail, so a row that exists means "done", and a second
/// insert for the same customer is refused by the key rather than by care in the code.
#[async_trait::async_trait]
impl MigrationTrait for M0004Sends {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sends = tenant_table("segment_sends")
            .col(id_ref("segment_id"))
            .col(json("selection"))
            .col(id_ref("link_id"))
            .col(text("link_url"))
            .col(text("template"))
            .col(text("subject"))
            .col(text("text"))
            .col(text("actor"))
            .col(id_ref("job_id"))
            .col(int_default("members", 0))
            .col(int_default("queued", 0))
            .col(int_default("skipped_no_consent", 0))
            .col(int_default("skipped_no_email", 0))
            .col(timestamp("created_at"))
            .to_owned();
        let mut recipients = Table::create();
        recipients
            .table(name("segment_send_recipients"))
            .col(
                ColumnDef::new(name("organization_id"))
                    .string_len(40)
                    .not_null(),
            )
            .col(id_ref("send_id"))
            .col(id_ref("customer_id"))
            .col(text("status"))
            .col(timestamp("at"))
            .primary_key(
                Index::create()
                    .col(name("organization_id"))
                    .col(name("send_id"))
                    .col(name("customer_id")),
            );
        create_all(
            manager,
            vec![sends, recipients.to_owned()],
            vec![index("segment_sends", &["organization_id", "segment_id"])],
        )
        .await
    }
}

pub mod segment_sends {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "segment_sends")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub segment_id: String,
        pub selection: Json,
        pub link_id: String,
        pub link_url: String,
        pub template: String,
        pub subject: String,
        pub text: String,
        pub actor: String,
        pub job_id: String,
        pub members: i64,
        pub queued: i64,
        pub skipped_no_consent: i64,
        pub skipped_no_email: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod segment_send_recipients {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "segment_send_recipients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub send_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: String,
        pub status: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
