//! The organizer's daily digest: to each user of an organization who may sell, the pending
//! pay-by-link intents whose deadline falls within the next day, each with a link to its page
//! (where it is extended). Once per organization per day (on the organization's calendar): the
//! sweep claims the day in `intent_digests` before it queues anything, so two processes never
//! both send it. A day with nothing expiring sends nothing and claims nothing.

use chrono::{DateTime, Duration, Utc};
use fullhouse_checkout::service::render_mail;
use fullhouse_core::mail::{self, NewMessage, QueuedMessage};
use fullhouse_core::tenancy::model::Permission;
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{OrgId, Result};
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_web::Lang;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::{json, Value};

use super::Intents;
use crate::model::{IntentStatus, Strategy};
use crate::store::intents;

/// The digest's template.
pub const DIGEST_TEMPLATE: &str = "intent_digest";
/// How far ahead the digest looks.
const HORIZON_HOURS: i64 = 24;
/// The most intents one digest lists (the list page has the rest).
const DIGEST_LIMIT: u64 = 200;

/// The days a digest went out, per organization.
pub mod intent_digests {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "intent_digests")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        /// The day, `YYYY-MM-DD` on the organization's calendar.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub intents: i64,
        pub recipients: i64,
        pub sent_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl Intents {
    /// Sends every organization's digest that is due today; returns how many mails it queued.
    pub async fn send_due_digests(&self) -> Result<usize> {
        let now = self.now();
        let horizon = now + Duration::hours(HORIZON_HOURS);
        let orgs: Vec<String> = intents::Entity::find()
            .select_only()
            .column(intents::Column::OrganizationId)
            .distinct()
            .filter(intents::Column::Status.eq(IntentStatus::Pending.as_str()))
            .filter(intents::Column::Strategy.eq(Strategy::PayByLink.as_str()))
            .filter(intents::Column::PayBy.gt(now))
            .filter(intents::Column::PayBy.lte(horizon))
            .into_tuple()
            .all(self.db.reader())
            .await?;
        let mut sent = 0;
        for org in orgs {
            let org = OrgId::from_db(org);
            match self.digest(&org, now, horizon).await {
                Ok(queued) => sent += queued,
                Err(err) => {
                    tracing::warn!(%org, error = ?err, "an organization's intents digest failed")
                }
            }
        }
        Ok(sent)
    }

    /// One organization's digest, if today's has not gone out.
    async fn digest(
        &self,
        org: &OrgId,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> Result<usize> {
        let tenancy = TenancyService::new(self.db.clone());
        let organization = tenancy.organization(org).await?;
        let zone: chrono_tz::Tz = organization.timezone.parse().unwrap_or(chrono_tz::UTC);
        let day = now.with_timezone(&zone).format("%Y-%m-%d").to_string();
        let due = intents::Entity::find()
            .filter(intents::Column::OrganizationId.eq(org.as_str()))
            .filter(intents::Column::Status.eq(IntentStatus::Pending.as_str()))
            .filter(intents::Column::Strategy.eq(Strategy::PayByLink.as_str()))
            .filter(intents::Column::PayBy.gt(now))
            .filter(intents::Column::PayBy.lte(horizon))
            .order_by_asc(intents::Column::PayBy)
            .limit(DIGEST_LIMIT)
            .all(self.db.reader())
            .await?;
        let recipients: Vec<_> = tenancy
            .list_users(org)
            .await?
            .into_iter()
            .filter(|u| !u.disabled && u.role.allows(Permission::Sell))
            .collect();
        if due.is_empty() || recipients.is_empty() {
            return Ok(0);
        }
        // The claim: the primary key (organization, day) lets one process in.
        let claimed = intent_digests::Entity::insert(intent_digests::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(day.clone()),
            intents: Set(due.len() as i64),
            recipients: Set(recipients.len() as i64),
            sent_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                intent_digests::Column::OrganizationId,
                intent_digests::Column::Id,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(self.db.writer())
        .await?;
        if claimed != 1 {
            return Ok(0);
        }
        let mut messages = Vec::new();
        for user in &recipients {
            let lang = Lang::from_stored(&user.language);
            let variables = self
                .digest_variables(org, &organization.name, &user.name, lang, &due)
                .await?;
            let rendered = render_mail(&self.db, org, DIGEST_TEMPLATE, lang, &variables).await?;
            messages.push(QueuedMessage {
                message: NewMessage {
                    to_email: user.email.clone(),
                    to_name: Some(user.name.clone()),
                    subject: rendered.subject,
                    html: rendered.html,
                    text: Some(rendered.text),
                    marketing: None,
                    idempotency_key: format!("intent-digest:{org}:{day}:{}", user.id),
                    attachments: Vec::new(),
                },
                unsubscribe_token: None,
            });
        }
        let txn = self.db.begin_write().await?;
        let queued = mail::queue(&txn, org, messages).await?;
        txn.commit().await?;
        Ok(queued)
    }

    /// The digest's variables in one reader's language: each intent's customer, event, deadline
    /// (on the venue's clock), amount and page.
    async fn digest_variables(
        &self,
        org: &OrgId,
        organization: &str,
        recipient: &str,
        lang: Lang,
        due: &[intents::Model],
    ) -> Result<Value> {
        let customers = CustomerService::new(self.db.clone());
        let catalog = CatalogService::new(self.db.clone());
        let mut listed = Vec::new();
        for row in due {
            let customer = customers
                .customer(
                    org,
                    &fullhouse_ticketing::CustomerId::from_db(row.customer_id.clone()),
                )
                .await
                .map(|c| c.display_name())
                .unwrap_or_else(|_| row.customer_id.clone());
            let event = catalog
                .event(
                    org,
                    &fullhouse_ticketing::EventId::from_db(row.event_id.clone()),
                )
                .await
                .ok();
            let zone = event.as_ref().map_or("UTC", |e| e.venue_timezone.as_str());
            listed.push(json!({
                "customer": customer,
                "event": event.as_ref().map(|e| format!("{} · {}", e.title, lang.local_time(e.starts_at, zone))).unwrap_or_default(),
                "pay_by": row.pay_by.map(|at| lang.local_time(at, zone)).unwrap_or_default(),
                "total": lang.money(row.total_minor, &row.currency),
                "url": format!("{}/intents/{}", self.public_url, row.id),
            }));
        }
        Ok(json!({
            "organization": organization,
            "recipient": recipient,
            "count": listed.len(),
            "list_url": format!("{}/intents?status=pending", self.public_url),
            "intents": listed,
        }))
    }
}
