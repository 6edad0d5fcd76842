//! The platform's tables: organizations, users, sessions, API tokens, the domain-event outbox (and
//! its followers' cursors) and the audit log.

use sea_orm_migration::prelude::*;

use crate::schema::*;

/// The platform migrations, in order. Module crates prepend these to their own.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(M0001Platform),
        Box::new(M0002Jobs),
        Box::new(M0003Mail),
        Box::new(M0004Uploads),
        Box::new(M0005EventCursors),
        Box::new(M0006MailAttachments),
        Box::new(crate::tenancy::branding::M0007Branding),
        Box::new(crate::jobs::store::M0008JobLinks),
        Box::new(crate::tenancy::invitations::M0009Invitations),
    ]
}

struct M0001Platform;

impl MigrationName for M0001Platform {
    fn name(&self) -> &str {
        "core_0001_platform"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Platform {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let organizations = Table::create()
            .table(name("organizations"))
            .col(
                ColumnDef::new(name("id"))
                    .string_len(40)
                    .not_null()
                    .primary_key(),
            )
            .col(text("name"))
            .col(ColumnDef::new(name("slug")).string_len(80).not_null())
            .col(text("default_language"))
            .col(text("timezone"))
            .col(text("currency"))
            .col(timestamp("created_at"))
            .to_owned();
        let users = tenant_table("users")
            .col(text("email"))
            .col(text("name"))
            .col(text("password_hash"))
            .col(text("role"))
            .col(text("language"))
            .col(boolean("disabled", false))
            .col(timestamp("created_at"))
            .col(timestamp_null("last_login_at"))
            .to_owned();
        let sessions = Table::create()
            .table(name("sessions"))
            .col(
                ColumnDef::new(name("token_hash"))
                    .string_len(64)
                    .not_null()
                    .primary_key(),
            )
            .col(id_ref("organization_id"))
            .col(id_ref("user_id"))
            .col(text("csrf_token"))
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .to_owned();
        let api_tokens = tenant_table("api_tokens")
            .col(text("name"))
            .col(ColumnDef::new(name("token_hash")).string_len(64).not_null())
            .col(text("token_prefix"))
            .col(text("role"))
            .col(id_ref_null("created_by"))
            .col(timestamp("created_at"))
            .col(timestamp_null("last_used_at"))
            .col(timestamp_null("revoked_at"))
            .to_owned();
        let domain_events = Table::create()
            .table(name("domain_events"))
            .col(
                ColumnDef::new(name("seq"))
                    .big_integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(id_ref("organization_id"))
            .col(text("kind"))
            .col(text("subject_id"))
            .col(json("payload"))
            .col(timestamp("created_at"))
            .to_owned();
        let audit_log = tenant_table("audit_log")
            .col(text("actor"))
            .col(text("action"))
            .col(text("subject"))
            .col(json("details"))
            .col(timestamp("created_at"))
            .to_owned();
        create_all(
            manager,
            vec![
                organizations,
                users,
                sessions,
                api_tokens,
                domain_events,
                audit_log,
            ],
            vec![
                unique("organizations", &["slug"]),
                unique("users", &["organization_id", "email"]),
                index("users", &["email"]),
                index("sessions", &["organization_id", "user_id"]),
                unique("api_tokens", &["token_hash"]),
                index("domain_events", &["organization_id", "seq"]),
            ],
        )
        .await
    }
}

struct M0002Jobs;

impl MigrationName for M0002Jobs {
    fn name(&self) -> &str {
        "core_0002_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Jobs {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let jobs = tenant_table("jobs")
            .col(text("kind"))
            .col(text("title"))
            .col(json("payload"))
            .col(ColumnDef::new(name("status")).string_len(20).not_null())
            .col(
                ColumnDef::new(name("attempts"))
                    .integer()
                    .not_null()
                    .default(0),
            )
            .col(
                ColumnDef::new(name("max_attempts"))
                    .integer()
                    .not_null()
                    .default(3),
            )
            .col(timestamp("run_after"))
            .col(text_null("lease_owner"))
            .col(timestamp_null("lease_expires_at"))
            .col(int_default("progress_done", 0))
            .col(int_null("progress_total"))
            .col(text_null("progress_message"))
            .col(text_null("error"))
            .col(json("files"))
            .col(boolean("cancel_requested", false))
            .col(text_null("idempotency_key"))
            .col(id_ref_null("created_by"))
            .col(timestamp("created_at"))
            .col(timestamp_null("started_at"))
            .col(timestamp_null("finished_at"))
            .to_owned();
        create_all(
            manager,
            vec![jobs],
            vec![
                // Workers look for due jobs across all organizations.
                index("jobs", &["status", "run_after"]),
                unique("jobs", &["organization_id", "idempotency_key"]),
                index("jobs", &["organization_id", "created_at"]),
            ],
        )
        .await
    }
}

struct M0003Mail;

impl MigrationName for M0003Mail {
    fn name(&self) -> &str {
        "core_0003_mail"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003Mail {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let settings = Table::create()
            .table(name("mail_settings"))
            .col(
                ColumnDef::new(name("organization_id"))
                    .string_len(40)
                    .not_null()
                    .primary_key(),
            )
            .col(text("sender_name"))
            .col(text("sender_email"))
            .col(text_null("reply_to"))
            .col(json("transport"))
            .col(timestamp("updated_at"))
            .to_owned();
        let templates = Table::create()
            .table(name("mail_templates"))
            .col(id_ref("organization_id"))
            .col(ColumnDef::new(name("key")).string_len(80).not_null())
            .col(ColumnDef::new(name("language")).string_len(5).not_null())
            .col(text("subject"))
            .col(text("html"))
            .col(text("text"))
            .col(timestamp("updated_at"))
            .primary_key(
                Index::create()
                    .col(name("organization_id"))
                    .col(name("key"))
                    .col(name("language")),
            )
            .to_owned();
        let outbox = tenant_table("outbox")
            .col(text("idempotency_key"))
            .col(text("to_email"))
            .col(text_null("to_name"))
            .col(text("subject"))
            .col(text("html"))
            .col(text("text"))
            .col(id_ref_null("customer_id"))
            .col(text_null("permission"))
            .col(text_null("unsubscribe_token"))
            .col(ColumnDef::new(name("status")).string_len(20).not_null())
            .col(
                ColumnDef::new(name("attempts"))
                    .integer()
                    .not_null()
                    .default(0),
            )
            .col(text_null("error"))
            .col(text_null("claim"))
            .col(timestamp("created_at"))
            .col(timestamp_null("sent_at"))
            .to_owned();
        create_all(
            manager,
            vec![settings, templates, outbox],
            vec![
                unique("outbox", &["organization_id", "idempotency_key"]),
                index("outbox", &["organization_id", "status"]),
                unique("outbox", &["unsubscribe_token"]),
            ],
        )
        .await
    }
}

struct M0004Uploads;

impl MigrationName for M0004Uploads {
    fn name(&self) -> &str {
        "core_0004_uploads"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004Uploads {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let uploads = tenant_table("uploads")
            .col(text("name"))
            .col(text("file_key"))
            .col(ColumnDef::new(name("bytes")).big_integer().not_null())
            .col(text_null("created_by"))
            .col(timestamp("created_at"))
            .to_owned();
        create_all(manager, vec![uploads], vec![]).await
    }
}

struct M0005EventCursors;

impl MigrationName for M0005EventCursors {
    fn name(&self) -> &str {
        "core_0005_event_cursors"
    }
}

/// The positions of durable outbox followers (`events::Follower::durable`), one row per
/// consumer. Checkout's `checkout_event_cursors` (checkout_0002) held the same for its one
/// consumer before the follower moved to core; checkout_0003 copies its row here.
#[async_trait::async_trait]
impl MigrationTrait for M0005EventCursors {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let cursors = Table::create()
            .table(name("event_cursors"))
            .col(
                ColumnDef::new(name("consumer"))
                    .string_len(200)
                    .not_null()
                    .primary_key(),
            )
            .col(int("last_seq"))
            .to_owned();
        create_all(manager, vec![cursors], vec![]).await
    }
}

struct M0006MailAttachments;

impl MigrationName for M0006MailAttachments {
    fn name(&self) -> &str {
        "core_0006_mail_attachments"
    }
}

/// Files sent with outbox messages (tickets as a PDF), written in the queueing transaction with
/// their message and read by delivery. Bytes in the database rather than the file store: they are
/// small, and a message and its files then commit together.
#[async_trait::async_trait]
impl MigrationTrait for M0006MailAttachments {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let attachments = Table::create()
            .table(name("outbox_attachments"))
            .col(id_ref("organization_id"))
            .col(id_ref("message_id"))
            .col(int("position"))
            .col(text("file_name"))
            .col(text("content_type"))
            .col(ColumnDef::new(name("bytes")).binary().not_null())
            .primary_key(
                Index::create()
                    .col(name("organization_id"))
                    .col(name("message_id"))
                    .col(name("position")),
            )
            .to_owned();
        create_all(manager, vec![attachments], vec![]).await
    }
}
