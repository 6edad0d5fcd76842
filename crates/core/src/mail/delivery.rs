//! The `mail.deliver` job: drains an organization's outbox through its transport.
//!
//! Exactly-once is impossible over SMTP, so delivery is **at most once**: a message is marked
//! `sending` (claimed by this attempt) before it is handed to the transport and `sent` after. If
//! the process dies in between, the next attempt of the job finds its predecessor's `sending`
//! messages and marks them failed ("interrupted") instead of sending them again. A retried job
//! therefore never sends a message twice.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use futures::stream::{self, StreamExt};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::model::{MailSettings, MessageStatus, SmtpSecurity, Transport};
use super::service::{unsubscribe_url, Consents, MailService};
use super::store::{outbox, outbox_attachments};
use crate::error::{Error, FieldError, Result};
use crate::ids::OrgId;
use crate::jobs::{JobContext, JobHandler};

/// Messages claimed per round.
const BATCH: u64 = 500;
/// Messages in flight at once per job. lettre does not set TCP_NODELAY, so each message on a
/// connection waits out the peer's delayed ACK (~40 ms on Linux loopback); throughput comes from
/// sending on many connections at once rather than from a fast single connection.
pub const IN_FLIGHT: usize = 32;
/// SMTP connections kept open per job (below common per-client limits, e.g. Postfix's 50).
pub const POOL_SIZE: u32 = 32;

/// A message that failed transiently this many times is given up.
const MAX_MESSAGE_ATTEMPTS: i32 = 5;

/// Runs `mail.deliver` jobs.
pub struct Delivery {
    pub consents: Consents,
    /// Where the file-drop transport writes `.eml` files (`<data-dir>/mail`).
    pub mail_dir: PathBuf,
    pub public_url: String,
}

#[async_trait::async_trait]
impl JobHandler for Delivery {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let claim = format!("{}#{}", ctx.id, ctx.attempt);
        abandon_interrupted(ctx, &claim).await?;
        let settings = MailService::new(ctx.db().clone())
            .settings(&ctx.org)
            .await?;
        let transport = OrgTransport::build(&settings, self.mail_dir.join(ctx.org.as_str()))?;
        let total = count_queued(ctx).await?;
        let lang = ctx.reader_lang().await;
        let mut done = 0i64;
        loop {
            let batch = claim_batch(ctx, &claim).await?;
            if batch.is_empty() {
                break;
            }
            let mut files = attachments_of(ctx, &batch).await?;
            let results: Vec<(String, Outcome)> = stream::iter(batch)
                .map(|message| {
                    let attachments = files.remove(&message.id).unwrap_or_default();
                    self.deliver_one(ctx, &settings, &transport, message, attachments)
                })
                .buffer_unordered(IN_FLIGHT)
                .collect()
                .await;
            done += i64::try_from(results.len()).unwrap_or(0);
            record_outcomes(ctx, &claim, results).await?;
            ctx.progress(
                done,
                Some(total.max(done)),
                Some(
                    &crate::i18n::Msg::new("engine-mail-handled")
                        .num("count", done)
                        .render(lang),
                ),
            )
            .await?;
        }
        Ok(())
    }
}

/// What became of one message.
enum Outcome {
    Sent,
    Suppressed,
    Retry(String),
    Failed(String),
}

impl Delivery {
    async fn deliver_one(
        &self,
        ctx: &JobContext,
        settings: &MailSettings,
        transport: &OrgTransport,
        message: outbox::Model,
        attachments: Vec<outbox_attachments::Model>,
    ) -> (String, Outcome) {
        let id = message.id.clone();
        if let (Some(customer), Some(permission)) = (&message.customer_id, &message.permission) {
            // Checked at sending time, not queueing time: a customer who unsubscribed since the
            // campaign was queued gets nothing.
            match self.consents.allows(&ctx.org, customer, permission).await {
                Ok(true) => {}
                Ok(false) => return (id, Outcome::Suppressed),
                Err(err) => {
                    return (
                        id,
                        Outcome::Retry(format!("checking consent failed: {err}")),
                    )
                }
            }
        }
        let email = match build_message(settings, &message, attachments, &self.public_url) {
            Ok(email) => email,
            Err(err) => return (id, Outcome::Failed(err.to_string())),
        };
        let outcome = match transport.send(&message.id, email).await {
            Ok(()) => Outcome::Sent,
            Err(SendError::Permanent(reason)) => Outcome::Failed(reason),
            Err(SendError::Transient(reason)) if message.attempts >= MAX_MESSAGE_ATTEMPTS => {
                Outcome::Failed(reason)
            }
            Err(SendError::Transient(reason)) => Outcome::Retry(reason),
        };
        (id, outcome)
    }
}

/// Messages an earlier, interrupted attempt of this job had handed to the transport.
async fn abandon_interrupted(ctx: &JobContext, claim: &str) -> Result<()> {
    let job_prefix = format!("{}#%", ctx.id);
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(MessageStatus::Failed.as_str()),
        )
        .col_expr(
            outbox::Column::Error,
            Expr::value(
                "delivery was interrupted while sending; not sent again to avoid a duplicate",
            ),
        )
        .filter(outbox::Column::OrganizationId.eq(ctx.org.as_str()))
        .filter(outbox::Column::Status.eq(MessageStatus::Sending.as_str()))
        .filter(outbox::Column::Claim.like(&job_prefix))
        .filter(outbox::Column::Claim.ne(claim))
        .exec(ctx.db().writer())
        .await?;
    Ok(())
}

async fn count_queued(ctx: &JobContext) -> Result<i64> {
    use sea_orm::PaginatorTrait;
    let count = outbox::Entity::find()
        .filter(outbox::Column::OrganizationId.eq(ctx.org.as_str()))
        .filter(outbox::Column::Status.eq(MessageStatus::Queued.as_str()))
        .count(ctx.db().reader())
        .await?;
    Ok(i64::try_from(count).unwrap_or(i64::MAX))
}

/// The files of the claimed messages, by message id, in their order. Only messages that have
/// files have rows, so a batch of plain mail costs one empty query.
async fn attachments_of(
    ctx: &JobContext,
    batch: &[outbox::Model],
) -> Result<HashMap<String, Vec<outbox_attachments::Model>>> {
    let rows = outbox_attachments::Entity::find()
        .filter(outbox_attachments::Column::OrganizationId.eq(ctx.org.as_str()))
        .filter(outbox_attachments::Column::MessageId.is_in(batch.iter().map(|m| m.id.clone())))
        .order_by_asc(outbox_attachments::Column::MessageId)
        .order_by_asc(outbox_attachments::Column::Position)
        .all(ctx.db().reader())
        .await?;
    let mut files: HashMap<String, Vec<outbox_attachments::Model>> = HashMap::new();
    for row in rows {
        files.entry(row.message_id.clone()).or_default().push(row);
    }
    Ok(files)
}

/// Claims up to `BATCH` queued messages for this attempt (`claim` = `<job>#<attempt>`, which is
/// what the next attempt of the same job looks for after a crash).
async fn claim_batch(ctx: &JobContext, claim: &str) -> Result<Vec<outbox::Model>> {
    let db = ctx.db();
    let txn = db.begin_write().await?;
    let ids: Vec<String> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::OrganizationId.eq(ctx.org.as_str()))
        .filter(outbox::Column::Status.eq(MessageStatus::Queued.as_str()))
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(MessageStatus::Sending.as_str()),
        )
        .col_expr(outbox::Column::Claim, Expr::value(claim))
        .col_expr(
            outbox::Column::Attempts,
            Expr::col(outbox::Column::Attempts).add(1),
        )
        .filter(outbox::Column::OrganizationId.eq(ctx.org.as_str()))
        .filter(outbox::Column::Id.is_in(ids))
        .filter(outbox::Column::Status.eq(MessageStatus::Queued.as_str()))
        .exec(&txn)
        .await?;
    let claimed = outbox::Entity::find()
        .filter(outbox::Column::OrganizationId.eq(ctx.org.as_str()))
        .filter(outbox::Column::Status.eq(MessageStatus::Sending.as_str()))
        .filter(outbox::Column::Claim.eq(claim))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(claimed)
}

/// Writes the outcomes of a batch: one statement per kind of outcome, not one per message.
async fn record_outcomes(
    ctx: &JobContext,
    claim: &str,
    results: Vec<(String, Outcome)>,
) -> Result<()> {
    let mut sent = Vec::new();
    let mut suppressed = Vec::new();
    let mut individual = Vec::new();
    for (id, outcome) in results {
        match outcome {
            Outcome::Sent => sent.push(id),
            Outcome::Suppressed => suppressed.push(id),
            other => individual.push((id, other)),
        }
    }
    let db = ctx.db();
    let txn = db.begin_write().await?;
    let now = Utc::now();
    for (ids, status) in [
        (sent, MessageStatus::Sent),
        (suppressed, MessageStatus::Suppressed),
    ] {
        if ids.is_empty() {
            continue;
        }
        let error = (status == MessageStatus::Suppressed)
            .then(|| "the customer's permission does not allow marketing mail".to_string());
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(status.as_str()))
            .col_expr(outbox::Column::Error, Expr::value(error))
            .col_expr(
                outbox::Column::SentAt,
                Expr::value((status == MessageStatus::Sent).then_some(now)),
            )
            .filter(outbox::Column::OrganizationId.eq(ctx.org.as_str()))
            .filter(outbox::Column::Id.is_in(ids))
            .filter(outbox::Column::Claim.eq(claim))
            .exec(&txn)
            .await?;
    }
    for (id, outcome) in individual {
        let (status, error) = match outcome {
            Outcome::Retry(error) => (MessageStatus::Queued, error),
            Outcome::Failed(error) => (MessageStatus::Failed, error),
            Outcome::Sent | Outcome::Suppressed => continue,
        };
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(status.as_str()))
            .col_expr(outbox::Column::Error, Expr::value(error))
            .filter(outbox::Column::OrganizationId.eq(ctx.org.as_str()))
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::Claim.eq(claim))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// Builds the MIME message: HTML plus a text part, RFC 8058 unsubscribe headers on marketing mail,
/// and the files as attachments beside them (`multipart/mixed`) when there are any.
fn build_message(
    settings: &MailSettings,
    message: &outbox::Model,
    attachments: Vec<outbox_attachments::Model>,
    public_url: &str,
) -> Result<Message> {
    let address = |field: &str, value: &str| {
        value
            .parse()
            .map_err(|_| Error::invalid(field, format!("`{value}` is not a deliverable address")))
    };
    let from = Mailbox::new(
        Some(settings.sender_name.clone()),
        address("sender_email", &settings.sender_email)?,
    );
    let to = Mailbox::new(
        message.to_name.clone(),
        address("to_email", &message.to_email)?,
    );
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(message.subject.clone())
        .message_id(Some(format!("<{}@fullhouse>", message.id)));
    if let Some(reply_to) = &settings.reply_to {
        builder = builder.reply_to(Mailbox::new(None, address("reply_to", reply_to)?));
    }
    if let Some(token) = &message.unsubscribe_token {
        let url = unsubscribe_url(public_url, token);
        builder = builder
            .raw_header(header("List-Unsubscribe", format!("<{url}>")))
            .raw_header(header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_string(),
            ));
    }
    let body = MultiPart::alternative_plain_html(message.text.clone(), message.html.clone());
    let body = if attachments.is_empty() {
        body
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for file in attachments {
            let content_type = ContentType::parse(&file.content_type).map_err(|_| {
                Error::invalid(
                    "attachments.content_type",
                    format!("`{}` is not a MIME type", file.content_type),
                )
            })?;
            mixed =
                mixed.singlepart(Attachment::new(file.file_name).body(file.bytes, content_type));
        }
        mixed
    };
    builder
        .multipart(body)
        .map_err(|e| Error::invalid("message", e.to_string()))
}

enum SendError {
    Permanent(String),
    Transient(String),
}

/// The transport an organization's settings choose.
enum OrgTransport {
    FileDrop(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl OrgTransport {
    fn build(settings: &MailSettings, file_dir: PathBuf) -> Result<Self> {
        Self::build_with_timeout(settings, file_dir, Duration::from_secs(30))
    }

    /// `timeout` bounds each network operation of the SMTP client (connect, each command).
    fn build_with_timeout(
        settings: &MailSettings,
        file_dir: PathBuf,
        timeout: Duration,
    ) -> Result<Self> {
        match &settings.transport {
            Transport::FileDrop => Ok(Self::FileDrop(file_dir)),
            Transport::Smtp {
                host,
                port,
                security,
                username,
                password,
            } => {
                let tls = match security {
                    SmtpSecurity::Plain => Tls::None,
                    SmtpSecurity::Starttls | SmtpSecurity::Tls => {
                        let parameters = TlsParameters::new(host.clone()).map_err(|e| {
                            Error::invalid("transport.host", format!("TLS setup failed: {e}"))
                        })?;
                        if *security == SmtpSecurity::Tls {
                            Tls::Wrapper(parameters)
                        } else {
                            Tls::Required(parameters)
                        }
                    }
                };
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
                        .port(*port)
                        .tls(tls)
                        .timeout(Some(timeout))
                        .pool_config(PoolConfig::new().max_size(POOL_SIZE));

                if let (Some(user), Some(password)) = (username, password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Ok(Self::Smtp(builder.build()))
            }
        }
    }

    async fn send(&self, message_id: &str, email: Message) -> Result<(), SendError> {
        match self {
            Self::FileDrop(dir) => {
                let path = dir.join(format!("{message_id}.eml"));
                let write = async {
                    tokio::fs::create_dir_all(dir).await?;
                    tokio::fs::write(&path, email.formatted()).await
                };
                write
                    .await
                    .map_err(|e| SendError::Transient(format!("writing {}: {e}", path.display())))
            }
            Self::Smtp(transport) => match transport.send(email).await {
                Ok(_) => Ok(()),
                Err(err) if err.is_permanent() => Err(SendError::Permanent(err.to_string())),
                Err(err) => Err(SendError::Transient(err.to_string())),
            },
        }
    }
}

/// How long the settings page's connection test may take, connecting and reading the greeting
/// included.
pub const CONNECTION_TEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs a connection check against the organization's transport (the settings page's "test").
///
/// The caller learns only whether SMTP could be spoken: a closed port, an open port that does
/// not speak SMTP, a refused login and a timeout all answer the same text, so the test cannot be
/// used to map which ports are open on hosts the server can reach. The detail goes to the log.
/// (The time to answer still differs: a closed port fails at once, a silent one after the
/// timeout.)
pub async fn check_transport(settings: &MailSettings) -> Result<()> {
    let Transport::Smtp { host, port, .. } = &settings.transport else {
        return Ok(());
    };
    let failure = || {
        Error::invalid_fields(vec![FieldError::new(
            "transport",
            format!("could not talk SMTP to {host}:{port}"),
        )
        .because(crate::Problem::Unreachable)
        .with_value(format!("{host}:{port}"))])
    };
    let OrgTransport::Smtp(transport) =
        OrgTransport::build_with_timeout(settings, PathBuf::new(), CONNECTION_TEST_TIMEOUT)?
    else {
        return Ok(());
    };
    match tokio::time::timeout(CONNECTION_TEST_TIMEOUT, transport.test_connection()).await {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => {
            tracing::info!(%host, port, "SMTP connection test: the server did not accept the connection");
            Err(failure())
        }
        Ok(Err(err)) => {
            tracing::info!(%host, port, error = %err, "SMTP connection test failed");
            Err(failure())
        }
        Err(_) => {
            tracing::info!(%host, port, timeout = ?CONNECTION_TEST_TIMEOUT, "SMTP connection test timed out");
            Err(failure())
        }
    }
}

/// Reads messages of an organization that the file-drop transport wrote (for the Outbox page).
pub fn file_drop_dir(mail_dir: &std::path::Path, org: &OrgId) -> PathBuf {
    mail_dir.join(org.as_str())
}
