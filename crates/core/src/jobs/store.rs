//! The `jobs` table: the queue itself, written once for SQLite and PostgreSQL.

pub mod jobs {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub kind: String,
        pub title: String,
        pub payload: Json,
        pub status: String,
        pub attempts: i32,
        pub max_attempts: i32,
        pub run_after: DateTimeUtc,
        pub lease_owner: Option<String>,
        pub lease_expires_at: Option<DateTimeUtc>,
        pub progress_done: i64,
        pub progress_total: Option<i64>,
        pub progress_message: Option<String>,
        pub error: Option<String>,
        pub files: Json,
        pub cancel_requested: bool,
        pub idempotency_key: Option<String>,
        pub created_by: Option<String>,
        pub created_at: DateTimeUtc,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
        /// A page of what the job made (the audience an import filled), added by
        /// `core_0008_job_links`.
        pub result_link: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The jobs' result link: where a finished job's work can be seen (an imported audience), so the
/// Jobs page and the API point at it.
pub struct M0008JobLinks;

impl sea_orm_migration::MigrationName for M0008JobLinks {
    fn name(&self) -> &str {
        "core_0008_job_links"
    }
}

#[async_trait::async_trait]
impl sea_orm_migration::MigrationTrait for M0008JobLinks {
    async fn up(&self, manager: &sea_orm_migration::SchemaManager) -> Result<(), sea_orm::DbErr> {
        use sea_orm_migration::prelude::Table;
        manager
            .alter_table(
                Table::alter()
                    .table(crate::schema::name("jobs"))
                    .add_column(crate::schema::text_null("result_link"))
                    .to_owned(),
            )
            .await
    }
}
