//! The buyers' tables: one-time sign-in links and buyer sessions, each kept only as the SHA-256
//! digest of its token (a leaked database leaks no link and no session). Both are an
//! organization's own: a buyer signs in to one shop, and its key leads with the organization.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

pub mod buyer_sign_in_links {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "buyer_sign_in_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        /// SHA-256 (hex) of the token in the mailed link.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        /// The address the link was mailed to (trimmed, lower case).
        pub email: String,
        /// Where the buyer goes once signed in: a path of the same shop, checked when asked.
        pub return_to: Option<String>,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        /// Set by the one POST that used the link; a used link signs nobody in again.
        pub used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod buyer_sessions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "buyer_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        /// SHA-256 (hex) of the token in the buyer's cookie.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        /// The customer the buyer proved to be (by using a link mailed to their address).
        pub customer_id: String,
        pub email: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub struct M0006BuyerSessions;

impl MigrationName for M0006BuyerSessions {
    fn name(&self) -> &str {
        "checkout_0006_buyer_sessions"
    }
}

/// A table keyed by (organization, token digest).
fn by_token(table: &str) -> TableCreateStatement {
    let mut create = Table::create();
    create
        .table(name(table))
        .col(
            ColumnDef::new(name("organization_id"))
                .string_len(40)
                .not_null(),
        )
        .col(ColumnDef::new(name("token_hash")).string_len(64).not_null())
        .primary_key(
            Index::create()
                .col(name("organization_id"))
                .col(name("token_hash")),
        );
    create
}

#[async_trait::async_trait]
impl MigrationTrait for M0006BuyerSessions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let links = by_token("buyer_sign_in_links")
            .col(text("email"))
            .col(text_null("return_to"))
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .col(timestamp_null("used_at"))
            .to_owned();
        let sessions = by_token("buyer_sessions")
            .col(id_ref("customer_id"))
            .col(text("email"))
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .to_owned();
        create_all(
            manager,
            vec![links, sessions],
            vec![
                // My tickets and sign-out find a customer's sessions.
                index("buyer_sessions", &["organization_id", "customer_id"]),
            ],
        )
        .await
    }
}
