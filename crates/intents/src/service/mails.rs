//! The customer's mail about an intent: the booking (with the payment link for pay by link, the
//! invoice note, or the tickets' news for complimentary) and the reminder before the deadline.
//! Transactional (no marketing permission needed, no unsubscribe link), in the customer's
//! language, times on the venue's clock; templates `intent_booking` and `intent_reminder`,
//! editable under Settings → Templates like every other.
//!
//! Complimentary tickets and tickets paid through the link reach the customer in checkout's
//! own `order_confirmation` mail with the PDF: this module never sends tickets itself.

use fullhouse_checkout::service::render_mail;
use fullhouse_checkout::tickets::OrderTickets;
use fullhouse_core::mail::{self, NewMessage, QueuedMessage};
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_web::Lang;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use super::{history_row, Intents};
use crate::model::*;
use crate::store::intent_history;

/// The keys of the intents' mail templates.
pub const BOOKING_TEMPLATE: &str = "intent_booking";
pub const REMINDER_TEMPLATE: &str = "intent_reminder";

impl Intents {
    /// Mails the booking to the customer (also the organizer's "resend"); recorded in the
    /// history. A customer without an email address gets nothing, and the history says so.
    pub async fn mail_booking(&self, org: &OrgId, intent: &Intent, actor: &str) -> Result<bool> {
        // Each send is its own message (a resend is asked for on purpose), keyed by the moment.
        let key = format!(
            "intent-booking:{}:{}",
            intent.id,
            self.now().timestamp_micros()
        );
        self.mail(org, intent, BOOKING_TEMPLATE, key, actor).await
    }

    /// Mails the reminder (once per deadline: the key names it).
    pub(crate) async fn mail_reminder(&self, org: &OrgId, intent: &Intent) -> Result<bool> {
        let key = format!(
            "intent-reminder:{}:{}",
            intent.id,
            intent.pay_by.map(|at| at.timestamp()).unwrap_or_default()
        );
        self.mail(org, intent, REMINDER_TEMPLATE, key, "system")
            .await
    }

    async fn mail(
        &self,
        org: &OrgId,
        intent: &Intent,
        template: &str,
        idempotency_key: String,
        actor: &str,
    ) -> Result<bool> {
        let customer = CustomerService::new(self.db.clone())
            .customer(org, &intent.customer_id)
            .await?;
        let email = customer
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        let Some(email) = email else {
            self.note(
                org,
                intent,
                "not_mailed",
                actor,
                "the customer has no email address",
            )
            .await?;
            return Ok(false);
        };
        let organization = TenancyService::new(self.db.clone())
            .organization(org)
            .await?;
        let lang = customer
            .language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_else(|| Lang::from_stored(&organization.default_language));
        let variables = self
            .variables(
                org,
                intent,
                lang,
                (
                    customer.first_name.as_deref().unwrap_or_default(),
                    customer.last_name.as_deref().unwrap_or_default(),
                ),
            )
            .await?;
        let rendered = render_mail(&self.db, org, template, lang, &variables).await?;
        let name = [customer.first_name, customer.last_name]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let message = NewMessage {
            to_email: email.clone(),
            to_name: (!name.trim().is_empty()).then_some(name),
            subject: rendered.subject,
            html: rendered.html,
            text: Some(rendered.text),
            marketing: None,
            idempotency_key,
            attachments: Vec::new(),
        };
        let now = self.now();
        let txn = self.db.begin_write().await?;
        let queued = mail::queue(
            &txn,
            org,
            vec![QueuedMessage {
                message,
                unsubscribe_token: None,
            }],
        )
        .await?;
        if queued > 0 {
            let action = if template == REMINDER_TEMPLATE {
                "reminded"
            } else {
                "mailed"
            };
            intent_history::Entity::insert(intent_history::ActiveModel::from(history_row(
                org,
                &intent.id,
                action,
                actor,
                Some(format!("{template} → {email}")),
                now,
            )))
            .exec_without_returning(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(queued > 0)
    }

    async fn note(
        &self,
        org: &OrgId,
        intent: &Intent,
        action: &str,
        actor: &str,
        detail: &str,
    ) -> Result<()> {
        intent_history::Entity::insert(intent_history::ActiveModel::from(history_row(
            org,
            &intent.id,
            action,
            actor,
            Some(detail.to_string()),
            self.now(),
        )))
        .exec_without_returning(self.db.writer())
        .await?;
        Ok(())
    }

    /// The variables of both templates: the order's (event, tickets, prices, as in the order
    /// confirmation) and the intent's (`intent.*`).
    pub async fn variables(
        &self,
        org: &OrgId,
        intent: &Intent,
        lang: Lang,
        buyer: (&str, &str),
    ) -> Result<Value> {
        let order_id = intent
            .order_id
            .as_ref()
            .ok_or_else(|| Error::conflict("intent", "this intent has no order to mail about"))?;
        let order = self.checkout.order(org, order_id).await?;
        let event = CatalogService::new(self.db.clone())
            .event(org, &intent.event_id)
            .await?;
        let zone = event.venue_timezone.clone();
        let tickets = OrderTickets::load(&self.db, org, &order, event).await?;
        let mut variables = tickets.mail_variables(lang, &intent.link, buyer);
        variables["intent"] = json!({
            "link": intent.link,
            "strategy": intent.strategy.as_str(),
            "pay_by": intent.pay_by.map(|at| lang.local_time(at, &zone)).unwrap_or_default(),
            "total": lang.money(intent.total_minor, &intent.currency),
            "company": intent.company.clone().unwrap_or_default(),
        });
        Ok(variables)
    }
}
