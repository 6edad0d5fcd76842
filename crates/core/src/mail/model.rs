//! Mail: sender settings, templates, the outbox and its states. No I/O here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::define_id;
use crate::error::{Error, Result};

define_id!(
    /// A message in the outbox.
    MessageId, "msg", "message"
);

/// How an organization's mail leaves the building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Transport {
    /// Write each message as an `.eml` file under `<data-dir>/mail/` (the embedded default).
    FileDrop,
    /// Deliver through an SMTP server.
    Smtp {
        host: String,
        port: u16,
        security: SmtpSecurity,
        username: Option<String>,
        /// Write-only: never returned by the API.
        #[serde(default, skip_serializing)]
        password: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (a relay on the same host, or tests).
    Plain,
}

/// Who mail comes from, and how it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub sender_name: String,
    pub sender_email: String,
    pub reply_to: Option<String>,
    pub transport: Transport,
}

/// Where a queued message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    /// Handed to the transport; if a crash leaves it here, it is never sent again.
    Sending,
    Sent,
    Failed,
    /// Not sent: a marketing message to a customer whose permission does not allow it.
    Suppressed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Suppressed => "suppressed",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        [
            Self::Queued,
            Self::Sending,
            Self::Sent,
            Self::Failed,
            Self::Suppressed,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
        .ok_or_else(|| Error::invalid("status", format!("`{value}` is not a message status")))
    }
}

/// A message to queue. Marketing messages name the customer and the permission that must allow
/// them; they get `List-Unsubscribe` headers and an unsubscribe link.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub to_email: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub html: String,
    /// Derived from the HTML when absent.
    pub text: Option<String>,
    pub marketing: Option<MarketingConsent>,
    /// A second queue with the same key is ignored: retried jobs never queue a message twice.
    pub idempotency_key: String,
    /// Files sent with the message (tickets as a PDF); empty for most mail. Stored with the
    /// message in the queueing transaction, so a queued message never lacks its files.
    pub attachments: Vec<Attachment>,
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The name the recipient sees, e.g. `tickets-7X9K4M5N.pdf`.
    pub file_name: String,
    /// A MIME type, e.g. `application/pdf`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The largest total size of one message's attachments: common mail servers refuse messages
/// above 10–25 MB, and base64 adds a third.
pub const MAX_ATTACHMENT_BYTES: usize = 7 * 1024 * 1024;

/// The consent a marketing message depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketingConsent {
    pub customer_id: String,
    /// The permission key, e.g. `newsletter`.
    pub permission: String,
}

/// A message as the Outbox page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: MessageId,
    pub to_email: String,
    pub subject: String,
    pub status: MessageStatus,
    pub marketing: bool,
    pub error: Option<String>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The languages templates exist in.
pub const TEMPLATE_LANGUAGES: [&str; 3] = ["en", "da", "fr"];

/// An organization's version of a template in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MailTemplate {
    /// What the template is for, e.g. `job_finished`, `campaign_link`.
    pub key: String,
    pub language: String,
    /// minijinja source of the subject line.
    pub subject: String,
    /// minijinja source of the HTML body.
    pub html: String,
    /// minijinja source of the text body; derived from the HTML when empty.
    pub text: String,
    /// True when this is the built-in version (the organization has not changed it).
    pub built_in: bool,
}

/// A rendered message, ready to queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}
