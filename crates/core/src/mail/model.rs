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

/// What a message is, from the prefix of its idempotency key (`order-confirmation:ord_…`): the
/// senders name their messages so, and the outbox shows it in words. [`TEST_KIND`] marks a
/// template test an organizer sent to themselves.
pub const MESSAGE_KINDS: [&str; 12] = [
    "job-finished",
    "order-confirmation",
    "order-cancelled",
    "buyer-sign-in",
    "intent-booking",
    "intent-reminder",
    "intent-digest",
    "referral-link",
    "referral-tier",
    "referral-closed",
    "segment-send",
    TEST_KIND,
];

/// The kind of a template test sent from the editor.
pub const TEST_KIND: &str = "template-test";

/// The kind of a message with `idempotency_key`: one of [`MESSAGE_KINDS`], or `other`.
pub fn message_kind(idempotency_key: &str) -> &'static str {
    let prefix = idempotency_key.split(':').next().unwrap_or_default();
    MESSAGE_KINDS
        .iter()
        .find(|kind| **kind == prefix)
        .copied()
        .unwrap_or("other")
}

/// A message as the Outbox page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: MessageId,
    /// What the message is (see [`MESSAGE_KINDS`]), e.g. `order-confirmation`; `other` when
    /// its sender did not say.
    pub kind: String,
    pub to_email: String,
    pub subject: String,
    pub status: MessageStatus,
    pub marketing: bool,
    pub error: Option<String>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// One message with its content, as the outbox's message page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxMessageDetail {
    pub message: OutboxMessage,
    pub to_name: Option<String>,
    pub html: String,
    pub text: String,
    /// The permission a marketing message depends on, e.g. `newsletter`.
    pub permission: Option<String>,
    /// The names and types of its attached files, in order.
    pub attachments: Vec<(String, String)>,
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
