//! The audience tables, written once for SQLite and PostgreSQL.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

/// The audiences' own migrations (checkout's come first, from its module).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(M0001Audiences),
        Box::new(crate::campaigns::store::M0002Campaigns),
        Box::new(crate::campaigns::store::M0003PaidRedemptions),
        Box::new(crate::campaigns::links::M0004CampaignLinks),
    ]
}

struct M0001Audiences;

impl MigrationName for M0001Audiences {
    fn name(&self) -> &str {
        "audiences_0001_audiences"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Audiences {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let audiences = tenant_table("audiences")
            .col(text("name"))
            .col(text("name_key"))
            .col(text_null("description"))
            .col(id_ref_null("venue_id"))
            .col(json("event_ids"))
            .col(text("source"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let members = tenant_table("audience_members")
            .col(id_ref("audience_id"))
            .col(text("code"))
            .col(text("code_key"))
            .col(int("quantity"))
            .col(text_null("category"))
            .col(text_null("seat_label"))
            .col(id_ref_null("customer_id"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        create_all(
            manager,
            vec![audiences, members],
            vec![
                unique("audiences", &["organization_id", "name_key"]),
                // Also the lookup of a typed code within a campaign's audiences.
                unique(
                    "audience_members",
                    &["organization_id", "audience_id", "code_key"],
                ),
            ],
        )
        .await?;
        // Loyalty looks members up by customer; most code lists have none, so the index holds
        // only members that name a customer and costs an upload of plain codes nothing.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_audience_members_customer ON audience_members \
                 (organization_id, customer_id) WHERE customer_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }
}

pub mod audiences {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audiences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub name_key: String,
        pub description: Option<String>,
        pub venue_id: Option<String>,
        pub event_ids: Json,
        pub source: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audience_members {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audience_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub audience_id: String,
        pub code: String,
        pub code_key: String,
        pub quantity: i64,
        pub category: Option<String>,
        pub seat_label: Option<String>,
        pub customer_id: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The member columns in the order bulk inserts bind them.
pub const MEMBER_COLUMNS: [&str; 11] = [
    "organization_id",
    "id",
    "audience_id",
    "code",
    "code_key",
    "quantity",
    "category",
    "seat_label",
    "customer_id",
    "created_at",
    "updated_at",
];

/// A member row ready to insert.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: String,
    pub code: String,
    pub code_key: String,
    pub quantity: i64,
    pub category: Option<String>,
    pub seat_label: Option<String>,
    pub customer_id: Option<String>,
}

/// Rows per multi-row INSERT: 11 columns × 2,000 stays under SQLite's 32,766 bound parameters.
pub const ROWS_PER_INSERT: usize = 2_000;

/// The text of a multi-row INSERT of `rows` members, with the backend's placeholders.
pub fn insert_members_sql(backend: sea_orm::DbBackend, rows: usize) -> String {
    let width = MEMBER_COLUMNS.len();
    let mut sql = format!(
        "INSERT INTO audience_members ({}) VALUES ",
        MEMBER_COLUMNS.join(", ")
    );
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push(',');
            }
            match backend {
                sea_orm::DbBackend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * width + column + 1).to_string());
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// Inserts members with multi-row INSERTs on `conn` (the caller's transaction); `full_sql` is
/// the statement for [`ROWS_PER_INSERT`] rows, built once by the caller.
pub async fn insert_members(
    conn: &impl sea_orm::ConnectionTrait,
    org: &str,
    audience: &str,
    rows: &[MemberRow],
    full_sql: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::Value;
    let backend = conn.get_database_backend();
    let text = |v: &str| Value::String(Some(Box::new(v.to_string())));
    let optional = |v: &Option<String>| Value::String(v.clone().map(Box::new));
    let time = Value::ChronoDateTimeUtc(Some(Box::new(now)));
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut values = Vec::with_capacity(chunk.len() * MEMBER_COLUMNS.len());
        for row in chunk {
            values.extend([
                text(org),
                text(&row.id),
                text(audience),
                text(&row.code),
                text(&row.code_key),
                Value::BigInt(Some(row.quantity)),
                optional(&row.category),
                optional(&row.seat_label),
                optional(&row.customer_id),
                time.clone(),
                time.clone(),
            ]);
        }
        let sql = if chunk.len() == ROWS_PER_INSERT {
            full_sql.to_string()
        } else {
            insert_members_sql(backend, chunk.len())
        };
        conn.execute(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await?;
    }
    Ok(())
}

/// One member as a line of PostgreSQL `COPY … FROM STDIN` text (tab-separated, `\N` for none,
/// backslash, tab and line breaks escaped), in [`MEMBER_COLUMNS`] order.
pub fn copy_line(out: &mut String, org: &str, audience: &str, row: &MemberRow, now: &str) {
    fn field(out: &mut String, value: &str) {
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    }
    fn optional(out: &mut String, value: &Option<String>) {
        match value {
            Some(v) => field(out, v),
            None => out.push_str("\\N"),
        }
    }
    for value in [org, &row.id, audience, &row.code, &row.code_key] {
        field(out, value);
        out.push('\t');
    }
    out.push_str(&row.quantity.to_string());
    out.push('\t');
    for value in [&row.category, &row.seat_label, &row.customer_id] {
        optional(out, value);
        out.push('\t');
    }
    out.push_str(now);
    out.push('\t');
    out.push_str(now);
    out.push('\n');
}

/// The `COPY` statement [`copy_line`] feeds.
pub fn copy_members_sql() -> String {
    format!(
        "COPY audience_members ({}) FROM STDIN",
        MEMBER_COLUMNS.join(", ")
    )
}

/// Inserts a new audience's row on a raw PostgreSQL connection (the `COPY` fast path runs
/// outside SeaORM's transactions).
pub async fn insert_audience_pg(
    conn: &mut sqlx::PgConnection,
    row: &audiences::Model,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audiences (organization_id, id, name, name_key, description, venue_id, \
         event_ids, source, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7::text::json, $8, $9, $10)",
    )
    .bind(&row.organization_id)
    .bind(&row.id)
    .bind(&row.name)
    .bind(&row.name_key)
    .bind(&row.description)
    .bind(&row.venue_id)
    .bind(row.event_ids.to_string())
    .bind(&row.source)
    .bind(row.created_at)
    .bind(row.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}
