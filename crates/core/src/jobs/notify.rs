//! The "job finished" mail: a job started on a person's behalf (an upload, an export) tells that
//! person how it ended — succeeded, failed with its reason, or cancelled — in their language,
//! with the organization's own `job_finished` template.

use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::model::JobStatus;
use crate::error::Result;
use crate::ids::OrgId;
use crate::mail::{self, model::NewMessage, MailService, QueuedMessage};
use crate::tenancy::store::organizations;
use crate::Db;

/// The payload key that holds who to tell.
pub const NOTIFY_KEY: &str = "notify";

/// Who hears about the job's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notify {
    pub email: String,
    pub name: String,
    /// `en`, `da` or `fr`.
    pub language: String,
}

impl Notify {
    pub fn from_payload(payload: &Value) -> Option<Notify> {
        serde_json::from_value(payload.get(NOTIFY_KEY)?.clone()).ok()
    }
}

/// What the mail says about the job.
pub(crate) struct Ending<'a> {
    pub job_id: &'a str,
    pub title: &'a str,
    pub status: JobStatus,
    pub error: Option<&'a str>,
}

/// Queues the mail on `txn` (the transaction that records the job's end), once per job.
pub(crate) async fn queue_job_finished(
    db: &Db,
    txn: &impl ConnectionTrait,
    org: &OrgId,
    notify: &Notify,
    ending: Ending<'_>,
    public_url: &str,
) -> Result<()> {
    let organization = organizations::Entity::find_by_id(org.to_string())
        .one(txn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let template = MailService::new(db.clone())
        .template(org, "job_finished", &notify.language)
        .await?;
    let variables = json!({
        "organization": organization,
        "recipient": notify.name,
        "job": {
            "title": ending.title,
            "status": ending.status.as_str(),
            "error": ending.error.unwrap_or_default(),
            "url": format!("{}/jobs/{}", public_url.trim_end_matches('/'), ending.job_id),
        },
    });
    // In the sandbox like every render. A template that fails here (too expensive, or broken
    // for these values) must not keep the job from ending: the person still hears, through the
    // built-in template.
    let renderer = mail::sandbox::renderer();
    let rendered = match renderer.render(&template, &variables).await {
        Ok(rendered) => rendered,
        Err(err) if !template.built_in => {
            tracing::warn!(%org, error = %err, "the job_finished template failed; using the built-in one");
            let built_in = mail::templates::built_in("job_finished", &notify.language)
                .ok_or(crate::error::Error::NotFound("template"))?;
            renderer.render(&built_in, &variables).await?
        }
        Err(err) => return Err(err),
    };
    let message = NewMessage {
        to_email: notify.email.clone(),
        to_name: Some(notify.name.clone()),
        subject: rendered.subject,
        html: rendered.html,
        text: Some(rendered.text),
        marketing: None,
        idempotency_key: format!("job-finished:{}", ending.job_id),
        attachments: Vec::new(),
    };
    mail::queue(
        txn,
        org,
        vec![QueuedMessage {
            message,
            unsubscribe_token: None,
        }],
    )
    .await?;
    Ok(())
}
