//! Sender settings, templates, queueing messages into the outbox, and unsubscribing.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;

use super::model::*;
use super::store::{mail_settings, mail_templates, outbox, outbox_attachments};
use super::{sandbox, templates};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::http::{Page, PageParams};
use crate::ids::OrgId;
use crate::jobs::{self, NewJob};
use crate::tenancy::model::validate_email;
use crate::tenancy::service::required;

/// The job kind that drains an organization's outbox.
pub const DELIVER_JOB: &str = "mail.deliver";

/// Customer consents live with the customers (ticketing); mail asks through this trait so the
/// dependency keeps pointing one way.
#[async_trait::async_trait]
pub trait ConsentRegistry: Send + Sync + 'static {
    /// Whether the customer's `permission` is currently granted.
    async fn allows(&self, org: &OrgId, customer_id: &str, permission: &str) -> Result<bool>;
    /// Withdraws `permission`, recording the time and `source`.
    async fn withdraw(
        &self,
        org: &OrgId,
        customer_id: &str,
        permission: &str,
        source: &str,
    ) -> Result<()>;
}

/// A consent registry shared by the delivery job and the unsubscribe endpoint.
pub type Consents = Arc<dyn ConsentRegistry>;

#[derive(Clone)]
pub struct MailService {
    db: Db,
}

impl MailService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The organization's settings; a file drop from "<organization>" until they are set.
    pub async fn settings(&self, org: &OrgId) -> Result<MailSettings> {
        let stored = mail_settings::Entity::find_by_id(org.as_str())
            .one(self.db.reader())
            .await?;
        match stored {
            Some(m) => Ok(MailSettings {
                sender_name: m.sender_name,
                sender_email: m.sender_email,
                reply_to: m.reply_to,
                transport: serde_json::from_value(m.transport).map_err(Error::internal)?,
            }),
            None => {
                let name = crate::tenancy::service::TenancyService::new(self.db.clone())
                    .organization(org)
                    .await?
                    .name;
                Ok(MailSettings {
                    sender_name: name,
                    sender_email: "no-reply@fullhouse.invalid".into(),
                    reply_to: None,
                    transport: Transport::FileDrop,
                })
            }
        }
    }

    /// Saves the settings. An SMTP password left out keeps the stored one.
    pub async fn put_settings(&self, org: &OrgId, settings: MailSettings) -> Result<MailSettings> {
        let sender_name = required("sender_name", &settings.sender_name)?;
        let sender_email = validate_email("sender_email", &settings.sender_email)?;
        let reply_to = match settings
            .reply_to
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(reply_to) => Some(validate_email("reply_to", reply_to)?),
            None => None,
        };
        let mut transport = settings.transport;
        if let Transport::Smtp {
            host,
            port,
            password,
            ..
        } = &mut transport
        {
            *host = required("transport.host", host)?;
            if *port == 0 {
                return Err(Error::invalid(
                    "transport.port",
                    "must be between 1 and 65535",
                ));
            }
            if password.is_none() {
                if let Ok(MailSettings {
                    transport: Transport::Smtp { password: old, .. },
                    ..
                }) = self.settings(org).await
                {
                    *password = old;
                }
            }
        }
        let model = mail_settings::ActiveModel {
            organization_id: Set(org.to_string()),
            sender_name: Set(sender_name),
            sender_email: Set(sender_email),
            reply_to: Set(reply_to),
            transport: Set(serde_json::to_value(&transport).map_err(Error::internal)?),
            updated_at: Set(Utc::now()),
        };
        let txn = self.db.begin_write().await?;
        mail_settings::Entity::insert(model)
            .on_conflict(
                OnConflict::column(mail_settings::Column::OrganizationId)
                    .update_columns([
                        mail_settings::Column::SenderName,
                        mail_settings::Column::SenderEmail,
                        mail_settings::Column::ReplyTo,
                        mail_settings::Column::Transport,
                        mail_settings::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.settings(org).await
    }

    /// The organization's template for `key` in `language`, or the built-in one.
    pub async fn template(&self, org: &OrgId, key: &str, language: &str) -> Result<MailTemplate> {
        let language = if TEMPLATE_LANGUAGES.contains(&language) {
            language
        } else {
            "en"
        };
        let stored = mail_templates::Entity::find_by_id((
            org.to_string(),
            key.to_string(),
            language.to_string(),
        ))
        .one(self.db.reader())
        .await?;
        match stored {
            Some(m) => Ok(MailTemplate {
                key: m.key,
                language: m.language,
                subject: m.subject,
                html: m.html,
                text: m.text,
                built_in: false,
            }),
            None => templates::built_in(key, language).ok_or(Error::NotFound("template")),
        }
    }

    /// Every template key in every language, the organization's version where it has one.
    pub async fn templates(&self, org: &OrgId) -> Result<Vec<MailTemplate>> {
        let mut all = Vec::new();
        for key in templates::BUILT_IN_KEYS {
            for language in TEMPLATE_LANGUAGES {
                all.push(self.template(org, key, language).await?);
            }
        }
        Ok(all)
    }

    /// Saves the organization's version of a template after checking it renders its sample
    /// variables in the sandbox (so a template too expensive to render is never saved).
    pub async fn put_template(&self, org: &OrgId, template: MailTemplate) -> Result<MailTemplate> {
        if templates::built_in(&template.key, "en").is_none() {
            return Err(Error::NotFound("template"));
        }
        if !TEMPLATE_LANGUAGES.contains(&template.language.as_str()) {
            return Err(Error::invalid("language", "use en, da or fr"));
        }
        required("subject", &template.subject)?;
        required("html", &template.html)?;
        // A variable the mail never gets would be empty in every message: refused, not warned
        // about, since no send fills a variable its template's key does not document.
        let unknown = templates::unknown_variables(&template);
        if !unknown.is_empty() {
            return Err(templates::unknown_variables_error(&unknown));
        }
        sandbox::renderer()
            .validate(
                &template,
                &templates::sample_variables(&template.key, &template.language),
            )
            .await?;
        let model = mail_templates::ActiveModel {
            organization_id: Set(org.to_string()),
            key: Set(template.key.clone()),
            language: Set(template.language.clone()),
            subject: Set(template.subject.clone()),
            html: Set(template.html.clone()),
            text: Set(template.text.clone()),
            updated_at: Set(Utc::now()),
        };
        let txn = self.db.begin_write().await?;
        mail_templates::Entity::insert(model)
            .on_conflict(
                OnConflict::columns([
                    mail_templates::Column::OrganizationId,
                    mail_templates::Column::Key,
                    mail_templates::Column::Language,
                ])
                .update_columns([
                    mail_templates::Column::Subject,
                    mail_templates::Column::Html,
                    mail_templates::Column::Text,
                    mail_templates::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.template(org, &template.key, &template.language).await
    }

    /// Deletes the organization's version of `key` in `language`; the built-in one is used again
    /// and returned. Deleting where there is no version of its own changes nothing.
    pub async fn reset_template(
        &self,
        org: &OrgId,
        key: &str,
        language: &str,
    ) -> Result<MailTemplate> {
        if templates::built_in(key, "en").is_none() || !TEMPLATE_LANGUAGES.contains(&language) {
            return Err(Error::NotFound("template"));
        }
        let txn = self.db.begin_write().await?;
        mail_templates::Entity::delete_many()
            .filter(mail_templates::Column::OrganizationId.eq(org.as_str()))
            .filter(mail_templates::Column::Key.eq(key))
            .filter(mail_templates::Column::Language.eq(language))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.template(org, key, language).await
    }

    /// Sends `template` rendered with `variables` to `to` (the organizer trying it), through the
    /// outbox like any mail, as a [`TEST_KIND`] message whose subject starts with `marker`.
    /// Refused like a save when the template uses unknown variables. Returns the message's id.
    pub async fn send_test(
        &self,
        org: &OrgId,
        template: &MailTemplate,
        variables: &Value,
        to: (&str, &str),
        marker: &str,
    ) -> Result<MessageId> {
        let unknown = templates::unknown_variables(template);
        if !unknown.is_empty() {
            return Err(templates::unknown_variables_error(&unknown));
        }
        let rendered = self.preview(template, variables).await?;
        let (to_email, to_name) = to;
        let key = format!(
            "{TEST_KIND}:{}:{}:{}",
            template.key,
            template.language,
            MessageId::generate()
        );
        let txn = self.db.begin_write().await?;
        queue(
            &txn,
            org,
            vec![QueuedMessage {
                message: NewMessage {
                    to_email: to_email.to_string(),
                    to_name: Some(to_name.to_string()).filter(|n| !n.is_empty()),
                    subject: format!("{marker} {}", rendered.subject),
                    html: rendered.html,
                    text: Some(rendered.text),
                    marketing: None,
                    idempotency_key: key.clone(),
                    attachments: Vec::new(),
                },
                unsubscribe_token: None,
            }],
        )
        .await?;
        let id: Option<String> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::OrganizationId.eq(org.as_str()))
            .filter(outbox::Column::IdempotencyKey.eq(key))
            .into_tuple()
            .one(&txn)
            .await?;
        txn.commit().await?;
        id.map(MessageId::from_db)
            .ok_or_else(|| Error::internal("the test message was not queued"))
    }

    /// One message of the organization's outbox, with its content; not found for another
    /// organization's.
    pub async fn message(&self, org: &OrgId, id: &str) -> Result<OutboxMessageDetail> {
        let found = outbox::Entity::find()
            .filter(outbox::Column::OrganizationId.eq(org.as_str()))
            .filter(outbox::Column::Id.eq(id))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("message"))?;
        let attachments: Vec<(String, String)> = outbox_attachments::Entity::find()
            .select_only()
            .column(outbox_attachments::Column::FileName)
            .column(outbox_attachments::Column::ContentType)
            .filter(outbox_attachments::Column::OrganizationId.eq(org.as_str()))
            .filter(outbox_attachments::Column::MessageId.eq(id))
            .order_by_asc(outbox_attachments::Column::Position)
            .into_tuple()
            .all(self.db.reader())
            .await?;
        let (to_name, html, text, permission) = (
            found.to_name.clone(),
            found.html.clone(),
            found.text.clone(),
            found.permission.clone(),
        );
        Ok(OutboxMessageDetail {
            message: outbox_message_from(found)?,
            to_name,
            html,
            text,
            permission,
            attachments,
        })
    }

    /// Renders `template` with `variables` (the editor's preview), in the sandbox.
    pub async fn preview(&self, template: &MailTemplate, variables: &Value) -> Result<Rendered> {
        sandbox::renderer().render(template, variables).await
    }

    /// The outbox, newest first.
    pub async fn outbox(&self, org: &OrgId, params: &PageParams) -> Result<Page<OutboxMessage>> {
        let limit = params.limit()?;
        let mut select =
            outbox::Entity::find().filter(outbox::Column::OrganizationId.eq(org.as_str()));
        if let Some(before) = params.after() {
            select = select.filter(outbox::Column::Id.lt(before));
        }
        let rows = select
            .order_by_desc(outbox::Column::Id)
            .limit(limit + 1)
            .all(self.db.reader())
            .await?;
        let page = Page::from_rows(rows, limit, |m| m.id.clone());
        let items = page
            .items
            .into_iter()
            .map(outbox_message_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// Withdraws the permission a marketing message was sent under (one-click unsubscribe).
    /// Answers the same whether or not the token exists, and is idempotent.
    pub async fn unsubscribe(&self, token: &str, consents: &dyn ConsentRegistry) -> Result<bool> {
        let found = outbox::Entity::find()
            .filter(outbox::Column::UnsubscribeToken.eq(token))
            .one(self.db.reader())
            .await?;
        let Some(message) = found else {
            return Ok(false);
        };
        let (Some(customer), Some(permission)) = (message.customer_id, message.permission) else {
            return Ok(false);
        };
        let org = OrgId::from_db(message.organization_id);
        consents
            .withdraw(&org, &customer, &permission, "unsubscribe link")
            .await?;
        Ok(true)
    }
}

/// `<public-url>/unsubscribe/<token>`: the link in the message and its `List-Unsubscribe` header.
pub fn unsubscribe_url(public_url: &str, token: &str) -> String {
    format!("{}/unsubscribe/{token}", public_url.trim_end_matches('/'))
}

/// A fresh unsubscribe token for a marketing message.
pub fn new_unsubscribe_token() -> String {
    crate::auth::new_token("")
}

/// Queues messages in the caller's transaction, and one delivery job for the organization.
/// Messages whose idempotency key is already queued are skipped, so a retried job never queues
/// (and so never sends) a message twice. Returns how many were newly queued.
pub async fn queue(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    messages: Vec<QueuedMessage>,
) -> Result<usize> {
    let now = Utc::now();
    let mut queued = 0;
    let mut rows = Vec::with_capacity(messages.len());
    let mut files = Vec::new();
    for message in messages {
        let to_email = validate_email("to_email", &message.message.to_email)?;
        let text = message
            .message
            .text
            .clone()
            .unwrap_or_else(|| templates::html_to_text(&message.message.html));
        let (customer_id, permission) = match &message.message.marketing {
            Some(consent) => (
                Some(consent.customer_id.clone()),
                Some(consent.permission.clone()),
            ),
            None => (None, None),
        };
        let id = MessageId::generate().into_string();
        if !message.message.attachments.is_empty() {
            check_attachments(&message.message.attachments)?;
            files.push((id.clone(), message.message.attachments));
        }
        rows.push(outbox::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id),
            idempotency_key: Set(message.message.idempotency_key),
            to_email: Set(to_email),
            to_name: Set(message.message.to_name),
            subject: Set(message.message.subject),
            html: Set(message.message.html),
            text: Set(text),
            customer_id: Set(customer_id),
            permission: Set(permission),
            unsubscribe_token: Set(message.unsubscribe_token),
            status: Set(MessageStatus::Queued.as_str().to_string()),
            attempts: Set(0),
            error: Set(None),
            claim: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
        });
    }
    // 16 columns a row: chunks of 1,000 stay far below SQLite's bound-parameter limit.
    let mut chunks = Vec::new();
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(1_000));
        chunks.push(std::mem::replace(&mut rows, rest));
    }
    for chunk in chunks {
        let len = chunk.len();
        let result = outbox::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([
                    outbox::Column::OrganizationId,
                    outbox::Column::IdempotencyKey,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(conn)
            .await;
        queued += match result {
            Ok(inserted) => usize::try_from(inserted).unwrap_or(len),
            Err(sea_orm::DbErr::RecordNotInserted) => 0,
            Err(err) => return Err(err.into()),
        };
    }
    queue_attachments(conn, org, files).await?;
    if queued > 0 {
        let job = NewJob::new(DELIVER_JOB, "Deliver mail", serde_json::json!({}));
        jobs::enqueue(
            conn,
            org,
            NewJob {
                max_attempts: 10,
                ..job
            },
        )
        .await?;
    }
    Ok(queued)
}

/// Refuses attachments a mail server would refuse or a mail client would misread.
fn check_attachments(attachments: &[Attachment]) -> Result<()> {
    let mut total = 0usize;
    for (i, attachment) in attachments.iter().enumerate() {
        let name = attachment.file_name.trim();
        if name.is_empty()
            || name
                .chars()
                .any(|c| c.is_control() || c == '/' || c == '\\')
        {
            return Err(Error::invalid(
                format!("attachments[{i}].file_name"),
                "give a file name without slashes or control characters",
            ));
        }
        if lettre::message::header::ContentType::parse(&attachment.content_type).is_err() {
            return Err(Error::invalid(
                format!("attachments[{i}].content_type"),
                format!("`{}` is not a MIME type", attachment.content_type),
            ));
        }
        total = total.saturating_add(attachment.bytes.len());
    }
    if total > MAX_ATTACHMENT_BYTES {
        return Err(Error::invalid(
            "attachments",
            format!("{total} bytes of attachments; at most {MAX_ATTACHMENT_BYTES} per message"),
        ));
    }
    Ok(())
}

/// Stores the files of the messages this call queued. A message skipped for its idempotency key
/// keeps the files it was queued with first: only ids that made it into the outbox get files.
async fn queue_attachments(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    files: Vec<(String, Vec<Attachment>)>,
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let inserted: Vec<String> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::OrganizationId.eq(org.as_str()))
        .filter(outbox::Column::Id.is_in(files.iter().map(|(id, _)| id.clone())))
        .into_tuple()
        .all(conn)
        .await?;
    for (id, attachments) in files {
        if !inserted.contains(&id) {
            continue;
        }
        // One row at a time: a row holds up to a few MB of bytes.
        for (position, attachment) in attachments.into_iter().enumerate() {
            outbox_attachments::Entity::insert(outbox_attachments::ActiveModel {
                organization_id: Set(org.to_string()),
                message_id: Set(id.clone()),
                position: Set(i64::try_from(position).unwrap_or(i64::MAX)),
                file_name: Set(attachment.file_name.trim().to_string()),
                content_type: Set(attachment.content_type),
                bytes: Set(attachment.bytes),
            })
            .exec_without_returning(conn)
            .await?;
        }
    }
    Ok(())
}

/// A message ready for the outbox, with the unsubscribe token its body links to (marketing).
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub message: NewMessage,
    pub unsubscribe_token: Option<String>,
}

pub(crate) fn outbox_message_from(m: outbox::Model) -> Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: MessageId::from_db(m.id),
        kind: message_kind(&m.idempotency_key).to_string(),
        to_email: m.to_email,
        subject: m.subject,
        status: MessageStatus::parse(&m.status)?,
        marketing: m.permission.is_some(),
        error: m.error,
        attempts: m.attempts,
        created_at: m.created_at,
        sent_at: m.sent_at,
    })
}
