//! Campaign-link sends (seed 002, "Kampagnelink"; issue #19 point 5): a campaign link mailed to
//! the customers of a segment view shown for an event or production.
//!
//! **Starting** a send checks everything a person can get wrong (the view is shown for an event
//! or production, the link opens that event or production, the template exists and renders
//! with the subject typed), then in one transaction records the send, enqueues its job and
//! writes the audit log (`segment.mailed`).
//!
//! **The job** ([`run`]) resolves the selection again when it runs and walks its members in
//! pages. Each page is one transaction that re-reads the customers' email permission *then*
//! (not the index's copy, which may be minutes old), inserts one recipient row per customer —
//! `queued`, `skipped_no_consent` or `skipped_no_email` — and queues the mails with the
//! idempotency key `segment-send:{send}:{customer}`. A recipient row and its mail commit
//! together or not at all, and a customer with a row is never taken again; the outbox key holds
//! even if two runs raced on one page. So a job killed anywhere and run again mails every
//! consenting member exactly once. The mail is marketing: it carries the customer's consent,
//! so delivery checks the permission once more and adds the unsubscribe link and headers.
//!
//! Mails are queued, not sent, by the job: delivery is the mail worker's. Queuing is what the
//! seed's "within 15 minutes" depends on, and it takes seconds for 100,000 customers.

pub mod run;
pub mod store;

use chrono::{DateTime, Utc};
use fullhouse_audiences::campaigns::links::{CampaignLink, CampaignLinkId, CampaignLinkService};
use fullhouse_core::define_id;
use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::jobs::{self, JobId, NewJob};
use fullhouse_core::mail::{templates, MailService, MailTemplate};
use fullhouse_core::{Caller, Db, Error, OrgId, Result};
use fullhouse_ticketing::{EventId, ProductionId};
use fullhouse_web::Lang;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::index::Registry;
use crate::model::SegmentId;
use crate::selection::{Members, Selection, SelectionBody};
use crate::service::SegmentService;
use store::{segment_send_recipients as recipients, segment_sends as sends};

define_id!(
    /// A campaign-link send: one mail to the consenting customers of a segment view.
    SendId, "snd", "send"
);

/// The job kind that queues a send's mails.
pub const SEND_JOB: &str = "segments.send";
/// The customer permission a campaign-link mail needs: the platform's email-marketing one.
pub const EMAIL_PERMISSION: &str = "newsletter";
/// The template a send uses unless another is chosen.
pub const DEFAULT_TEMPLATE: &str = "campaign_link";
/// The longest subject: mail clients show less, and a subject is one line.
const MAX_SUBJECT: usize = 200;
/// The longest custom text.
const MAX_TEXT: usize = 10_000;

fn default_template() -> String {
    DEFAULT_TEMPLATE.to_string()
}

/// A send to start: the view (as the dashboard shows it), the link, the template and the words.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSend {
    /// The view of the segment: a saved view or filters, shown for an event or production
    /// (`selection.event_id` or `selection.production_id` is required).
    #[serde(default)]
    pub selection: SelectionBody,
    /// A campaign link that opens that event or production.
    pub link_id: CampaignLinkId,
    /// A mail template that has a campaign link (`campaign_link`).
    #[serde(default = "default_template")]
    pub template: String,
    /// The subject line (it may use the template's variables, e.g. `{{ customer.first_name }}`).
    pub subject: String,
    /// The text written for this send, shown in the template's `custom_text`.
    #[serde(default)]
    pub text: String,
}

impl NewSend {
    pub fn selection(&self, segment: &SegmentId) -> Selection {
        self.selection.clone().of(segment.clone())
    }

    pub fn event_id(&self) -> Option<&EventId> {
        self.selection.view_for.event_id.as_ref()
    }

    pub fn production_id(&self) -> Option<&ProductionId> {
        self.selection.view_for.production_id.as_ref()
    }
}

/// A send and its counts so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignSend {
    pub id: SendId,
    pub segment_id: SegmentId,
    pub selection: Selection,
    pub link_id: CampaignLinkId,
    /// The address the mails carry (a production link's next event, as of the start).
    pub link_url: String,
    pub template: String,
    pub subject: String,
    pub text: String,
    /// Who started it.
    pub actor: String,
    /// The job that queues the mails.
    pub job_id: JobId,
    /// The members of the selection when the job last resolved it.
    pub members: i64,
    /// Mails queued (one per consenting customer with an address).
    pub queued: i64,
    pub skipped_no_consent: i64,
    pub skipped_no_email: i64,
    pub created_at: DateTime<Utc>,
}

/// What happened to one member of the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecipientStatus {
    Queued,
    SkippedNoConsent,
    SkippedNoEmail,
}

impl RecipientStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::SkippedNoConsent => "skipped_no_consent",
            Self::SkippedNoEmail => "skipped_no_email",
        }
    }

    pub fn parse(value: &str) -> Self {
        match value {
            "queued" => Self::Queued,
            "skipped_no_consent" => Self::SkippedNoConsent,
            _ => Self::SkippedNoEmail,
        }
    }
}

/// A member of the selection, recorded as sent (or skipped, and why).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recipient {
    pub customer_id: String,
    pub status: RecipientStatus,
    pub at: DateTime<Utc>,
}

/// The job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendPayload {
    pub send_id: SendId,
    /// The language of whoever started it, for the progress messages.
    pub language: String,
}

/// Starts, reads and previews sends.
#[derive(Clone)]
pub struct SendService {
    db: Db,
}

impl SendService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Checks a send and the selection it is for; returns the members and the link.
    pub async fn check(
        &self,
        registry: &Registry,
        org: &OrgId,
        segment: &SegmentId,
        new: &NewSend,
        public_url: &str,
    ) -> Result<(Members, CampaignLink)> {
        // Another organization's segment is not found before anything else is said about it.
        SegmentService::new(self.db.clone())
            .segment(org, segment)
            .await?;
        if new.event_id().is_none() && new.production_id().is_none() {
            return Err(Error::invalid(
                "selection.event_id",
                "a campaign-link mail needs the view shown for an event or a production",
            ));
        }
        let subject = new.subject.trim();
        if subject.is_empty() {
            return Err(Error::invalid("subject", "write a subject"));
        }
        if subject.chars().count() > MAX_SUBJECT || subject.contains(['\r', '\n']) {
            return Err(Error::invalid(
                "subject",
                format!("one line of at most {MAX_SUBJECT} characters"),
            ));
        }
        if new.text.chars().count() > MAX_TEXT {
            return Err(Error::invalid(
                "text",
                format!("at most {MAX_TEXT} characters"),
            ));
        }
        if !sendable_templates().contains(&new.template.as_str()) {
            return Err(Error::invalid(
                "template",
                format!("`{}` is not a template with a campaign link", new.template),
            ));
        }
        let link = CampaignLinkService::new(self.db.clone())
            .find_any(org, &new.link_id, public_url)
            .await
            .map_err(|_| Error::invalid("link_id", "no such campaign link"))?;
        let covers = match (new.event_id(), new.production_id()) {
            (Some(event), _) => link.event_id.as_ref() == Some(event),
            (None, Some(production)) => link.production_id.as_ref() == Some(production),
            (None, None) => false,
        };
        if !covers {
            return Err(Error::invalid(
                "link_id",
                "the link does not open the event or production the view is shown for",
            ));
        }
        let members = SegmentService::new(self.db.clone())
            .members(registry, org, &new.selection(segment), Utc::now())
            .await?;
        Ok((members, link))
    }

    /// Starts a send: checks it, renders it once for a real member (a subject that does not
    /// render is refused now, not half-way), then records it, enqueues its job and writes the
    /// audit log in one transaction. Returns the job's id.
    pub async fn start(
        &self,
        registry: &Registry,
        caller: &Caller,
        segment: &SegmentId,
        new: NewSend,
        public_url: &str,
    ) -> Result<(SendId, JobId)> {
        let org = &caller.org;
        let (members, link) = self.check(registry, org, segment, &new, public_url).await?;
        let lang = Lang::from_stored(&caller.language);
        let sample = run::Composer::new(
            &self.db,
            org,
            &new.template,
            new.subject.trim(),
            &new.text,
            &link.url,
            public_url,
        )
        .await?;
        sample.check_renders().await?;
        let id = SendId::generate();
        let payload = SendPayload {
            send_id: id.clone(),
            language: lang.code().to_string(),
        };
        let mut job = NewJob::new(
            SEND_JOB,
            lang.t1("segments-send-job-title", "segment", &members.segment.name),
            serde_json::to_value(&payload).map_err(|e| Error::internal(e.to_string()))?,
        );
        job.max_attempts = 5;
        job.created_by = Some(caller.actor());
        let selection = new.selection(segment);
        let txn = self.db.begin_write().await?;
        let job_id = jobs::enqueue(&txn, org, job).await?;
        sends::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id.to_string()),
            segment_id: Set(segment.to_string()),
            selection: Set(
                serde_json::to_value(&selection).map_err(|e| Error::internal(e.to_string()))?
            ),
            link_id: Set(link.id.to_string()),
            link_url: Set(link.url.clone()),
            template: Set(new.template.clone()),
            subject: Set(new.subject.trim().to_string()),
            text: Set(new.text.clone()),
            actor: Set(caller.actor()),
            job_id: Set(job_id.to_string()),
            members: Set(i64::try_from(members.len()).unwrap_or(i64::MAX)),
            queued: Set(0),
            skipped_no_consent: Set(0),
            skipped_no_email: Set(0),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
        members
            .audit(
                &txn,
                caller,
                "segment.mailed",
                job_id.as_str(),
                serde_json::json!({
                    "send_id": id, "link_id": link.id, "link": link.name, "url": link.url,
                    "template": new.template, "subject": new.subject.trim(),
                }),
            )
            .await?;
        txn.commit().await?;
        Ok((id, job_id))
    }

    pub async fn get(&self, org: &OrgId, id: &SendId) -> Result<CampaignSend> {
        let row = sends::Entity::find()
            .filter(sends::Column::OrganizationId.eq(org.as_str()))
            .filter(sends::Column::Id.eq(id.as_str()))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("send"))?;
        send_from(row)
    }

    /// The segment's sends, oldest first (cursor: the last send id of the page before).
    pub async fn list(
        &self,
        org: &OrgId,
        segment: &SegmentId,
        params: &PageParams,
    ) -> Result<Page<CampaignSend>> {
        SegmentService::new(self.db.clone())
            .segment(org, segment)
            .await?;
        let limit = params.limit()?;
        let mut select = sends::Entity::find()
            .filter(sends::Column::OrganizationId.eq(org.as_str()))
            .filter(sends::Column::SegmentId.eq(segment.as_str()));
        if let Some(after) = params.after() {
            select = select.filter(sends::Column::Id.gt(after));
        }
        let rows = select
            .order_by_asc(sends::Column::Id)
            .limit(limit + 1)
            .all(self.db.reader())
            .await?;
        let page = Page::from_rows(rows, limit, |r| r.id.clone());
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(send_from)
                .collect::<Result<_>>()?,
            next_cursor: page.next_cursor,
        })
    }

    /// The send's recipients by customer id (cursor: the last customer id of the page before).
    pub async fn recipients(
        &self,
        org: &OrgId,
        id: &SendId,
        params: &PageParams,
    ) -> Result<Page<Recipient>> {
        self.get(org, id).await?;
        let limit = params.limit()?;
        let mut select = recipients::Entity::find()
            .filter(recipients::Column::OrganizationId.eq(org.as_str()))
            .filter(recipients::Column::SendId.eq(id.as_str()));
        if let Some(after) = params.after() {
            select = select.filter(recipients::Column::CustomerId.gt(after));
        }
        let rows = select
            .order_by_asc(recipients::Column::CustomerId)
            .limit(limit + 1)
            .all(self.db.reader())
            .await?;
        let page = Page::from_rows(rows, limit, |r| r.customer_id.clone());
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|r| Recipient {
                    status: RecipientStatus::parse(&r.status),
                    customer_id: r.customer_id,
                    at: r.at,
                })
                .collect(),
            next_cursor: page.next_cursor,
        })
    }
}

/// The templates a send may use: those with a campaign link to fill in.
pub fn sendable_templates() -> Vec<&'static str> {
    templates::BUILT_IN_KEYS
        .iter()
        .copied()
        .filter(|key| {
            templates::documented_variables(key)
                .iter()
                .any(|(name, _)| *name == "campaign_url")
        })
        .collect()
}

/// The organization's version of `key` in `language`, with the send's subject in place of the
/// template's.
pub(crate) async fn template_with_subject(
    db: &Db,
    org: &OrgId,
    key: &str,
    language: &str,
    subject: &str,
) -> Result<MailTemplate> {
    let mut template = MailService::new(db.clone())
        .template(org, key, language)
        .await?;
    template.subject = subject.to_string();
    Ok(template)
}

fn send_from(row: sends::Model) -> Result<CampaignSend> {
    Ok(CampaignSend {
        id: SendId::from_db(row.id),
        segment_id: SegmentId::from_db(row.segment_id),
        selection: serde_json::from_value(row.selection)
            .map_err(|e| Error::internal(format!("a send's selection: {e}")))?,
        link_id: CampaignLinkId::from_db(row.link_id),
        link_url: row.link_url,
        template: row.template,
        subject: row.subject,
        text: row.text,
        actor: row.actor,
        job_id: JobId::from_db(row.job_id),
        members: row.members,
        queued: row.queued,
        skipped_no_consent: row.skipped_no_consent,
        skipped_no_email: row.skipped_no_email,
        created_at: row.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_templates_with_a_campaign_link_can_be_sent() {
        let keys = sendable_templates();
        assert!(keys.contains(&"campaign_link"), "{keys:?}");
        assert!(!keys.contains(&"job_finished"), "{keys:?}");
    }

    #[test]
    fn a_recipient_status_reads_back_as_written() {
        for status in [
            RecipientStatus::Queued,
            RecipientStatus::SkippedNoConsent,
            RecipientStatus::SkippedNoEmail,
        ] {
            assert_eq!(RecipientStatus::parse(status.as_str()), status);
        }
    }
}
