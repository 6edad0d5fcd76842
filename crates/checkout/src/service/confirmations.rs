//! The buyer's mail about an order: the confirmation with the tickets attached as a PDF when an
//! order is paid, and a notice when a paid order is cancelled or refunded.
//!
//! A durable follower of the domain-event outbox ([`CONFIRMATIONS_CONSUMER`]) reads
//! `order.paid` (online orders), `order.placed` with `status: paid` (box office: paid when
//! placed) and `order.cancelled`. Mail is queued with an idempotency key per order and kind
//! (`order-confirmation:{id}`, `order-cancelled:{id}`), so an event delivered twice — the
//! follower delivers at least once — queues one message. The mail is transactional: no
//! marketing permission is asked and it carries no unsubscribe link.
//!
//! Only orders sold through checkout are mailed (not history imported from other platforms nor
//! orders written straight into ticketing), only to a buyer with an email address, in the
//! buyer's language (else the organization's), and only about payments and cancellations of
//! the last [`SEND_WITHIN_DAYS`] days: a new consumer starts at the beginning of the outbox, and
//! buyers of months ago must not get their confirmation now.

use std::sync::Arc;

use chrono::{Duration, Utc};
use fullhouse_core::events::{Follower, StoredEvent};
use fullhouse_core::mail::{self, Attachment, MailService, NewMessage, QueuedMessage};
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::model::orders::OrderStatus;
use fullhouse_ticketing::outbox::{OrderCancelled, OrderPaid, OrderPlaced};
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_ticketing::OrderId;
use fullhouse_web::Lang;
use tokio::sync::Mutex;

use super::{Checkout, COUNTER_PROVIDER};
use crate::model::{CheckoutOrder, CheckoutStatus};
use crate::tickets::{pdf_file_name, OrderTickets};

/// The durable outbox consumer of the order mail (its row in core's `event_cursors`).
pub const CONFIRMATIONS_CONSUMER: &str = "checkout.confirmations";
/// Payments and cancellations older than this are not mailed about.
pub const SEND_WITHIN_DAYS: i64 = 3;
/// Events read per round: each may render a template and a PDF.
const BATCH: u64 = 200;

/// Which mail an event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    Confirmation,
    Cancellation,
}

impl Notice {
    fn template(self) -> &'static str {
        match self {
            Self::Confirmation => "order_confirmation",
            Self::Cancellation => "order_cancelled",
        }
    }

    fn idempotency_key(self, order: &OrderId) -> String {
        match self {
            Self::Confirmation => format!("order-confirmation:{order}"),
            Self::Cancellation => format!("order-cancelled:{order}"),
        }
    }

    /// The notice `event` asks for, if any.
    fn of(event: &StoredEvent) -> Result<Option<(Self, OrderId)>> {
        if event.is::<OrderPaid>() {
            let paid: OrderPaid = event.decode()?;
            return Ok(Some((Self::Confirmation, paid.order_id)));
        }
        if event.is::<OrderPlaced>() {
            let OrderPlaced(summary) = event.decode()?;
            return Ok((summary.status == Some(OrderStatus::Paid))
                .then_some((Self::Confirmation, summary.order_id)));
        }
        if event.is::<OrderCancelled>() {
            let OrderCancelled(summary) = event.decode()?;
            let released_after_payment = matches!(
                summary.status,
                Some(OrderStatus::Cancelled | OrderStatus::Refunded) | None
            );
            return Ok(released_after_payment.then_some((Self::Cancellation, summary.order_id)));
        }
        Ok(None)
    }
}

/// Mails buyers about their orders; cheap to clone (clones share the follower).
#[derive(Clone)]
pub struct Confirmations {
    checkout: Checkout,
    public_url: String,
    follower: Arc<Mutex<Follower>>,
}

impl Confirmations {
    /// Order mail for the orders of `checkout`, linking to pages under `public_url`.
    pub fn new(checkout: Checkout, public_url: &str) -> Self {
        let follower = Follower::durable(checkout.db().clone(), CONFIRMATIONS_CONSUMER)
            .kind::<OrderPaid>()
            .kind::<OrderPlaced>()
            .kind::<OrderCancelled>()
            .batch_size(BATCH);
        Self {
            checkout,
            public_url: public_url.trim_end_matches('/').to_string(),
            follower: Arc::new(Mutex::new(follower)),
        }
    }

    /// Reads the events not handled yet and queues the mail they ask for; returns how many
    /// messages were queued. A database failure leaves the batch to be read again; a problem
    /// with one order (a template that does not render, an address mail will not take) is
    /// logged and that order skipped, so one order never holds back everyone else's mail.
    pub async fn send_due(&self) -> Result<usize> {
        let mut follower = self.follower.lock().await;
        let batch = follower.next_batch().await?;
        if batch.is_empty() {
            return Ok(0);
        }
        let mut queued = 0;
        for event in batch.events() {
            let (notice, order) = match Notice::of(event) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(err) => {
                    tracing::error!(seq = event.seq, error = %err, "an order event does not read; no mail for it");
                    continue;
                }
            };
            match self.send(&event.org, &order, notice).await {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(err @ (Error::Database(_) | Error::RateLimited)) => return Err(err),
                Err(err) => {
                    tracing::error!(org = %event.org, %order, notice = notice.template(), error = ?err, "order mail not sent");
                }
            }
        }
        follower.acknowledge(batch).await?;
        Ok(queued)
    }

    /// Queues the `notice` about `id` when the order calls for one; true when a message was
    /// newly queued.
    async fn send(&self, org: &OrgId, id: &OrderId, notice: Notice) -> Result<bool> {
        let db = self.checkout.db().clone();
        let order = match self.checkout.order(org, id).await {
            Ok(order) => order,
            // Not sold through checkout (imported, or placed in ticketing directly).
            Err(Error::NotFound(_)) => return Ok(false),
            Err(err) => return Err(err),
        };
        let since = Utc::now() - Duration::days(SEND_WITHIN_DAYS);
        let due = match notice {
            Notice::Confirmation => {
                order.status == CheckoutStatus::Paid
                    && order.order.status == OrderStatus::Paid
                    && order.paid_at.unwrap_or(order.created_at) >= since
            }
            // Ticketing's state, not checkout's: an organizer's cancel there reaches checkout's
            // row only when checkout follows it, which may be after this.
            Notice::Cancellation => {
                order.paid_at.is_some()
                    && matches!(
                        order.order.status,
                        OrderStatus::Cancelled | OrderStatus::Refunded
                    )
                    && order.order.cancelled_at.unwrap_or(order.created_at) >= since
            }
        };
        if !due {
            return Ok(false);
        }
        let Some(customer_id) = &order.order.customer_id else {
            return Ok(false);
        };
        let customer = match CustomerService::new(db.clone())
            .customer(org, customer_id)
            .await
        {
            Ok(customer) => customer,
            Err(Error::NotFound(_)) => return Ok(false),
            Err(err) => return Err(err),
        };
        let Some(email) = customer
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        else {
            return Ok(false);
        };
        let organization = TenancyService::new(db.clone()).organization(org).await?;
        let lang = customer
            .language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_else(|| Lang::from_stored(&organization.default_language));
        let event = CatalogService::new(db.clone())
            .event(org, &order.event_id)
            .await?;
        let tickets = OrderTickets::load(&db, org, &order, event).await?;
        let order_url = format!(
            "{}/shop/{}/orders/{}",
            self.public_url, organization.slug, order.id
        );
        let mut variables = tickets.mail_variables(
            lang,
            &order_url,
            (
                customer.first_name.as_deref().unwrap_or_default(),
                customer.last_name.as_deref().unwrap_or_default(),
            ),
        );
        if notice == Notice::Cancellation {
            variables["order"]["status"] = order.order.status.as_str().into();
            variables["order"]["refund"] = refund_of(&order).into();
        }
        let rendered = render(&db, org, notice.template(), lang, &variables).await?;
        let attachments = match notice {
            Notice::Confirmation => {
                let file_name = pdf_file_name(&tickets.reference);
                let pdf = tokio::task::spawn_blocking(move || tickets.pdf(lang))
                    .await
                    .map_err(Error::internal)??;
                vec![Attachment {
                    file_name,
                    content_type: "application/pdf".into(),
                    bytes: pdf,
                }]
            }
            Notice::Cancellation => Vec::new(),
        };
        let name = [customer.first_name, customer.last_name]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let message = NewMessage {
            to_email: email.to_string(),
            to_name: (!name.trim().is_empty()).then_some(name),
            subject: rendered.subject,
            html: rendered.html,
            text: Some(rendered.text),
            marketing: None,
            idempotency_key: notice.idempotency_key(&order.id),
            attachments,
        };
        let txn = db.begin_write().await?;
        let queued = mail::queue(
            &txn,
            org,
            vec![QueuedMessage {
                message,
                unsubscribe_token: None,
            }],
        )
        .await?;
        txn.commit().await?;
        Ok(queued > 0)
    }

    /// Runs [`Self::send_due`] every `every` until `stop` is cancelled.
    pub async fn run(self, every: std::time::Duration, stop: tokio_util::sync::CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            match self.send_due().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "order mail queued"),
                Err(err) => tracing::warn!(error = ?err, "queueing order mail failed"),
            }
        }
    }
}

/// What happens with the money of a released paid order, as the `order_cancelled` template's
/// `order.refund` says it.
fn refund_of(order: &CheckoutOrder) -> &'static str {
    if order.test_payment {
        "test"
    } else if order.order.status != OrderStatus::Refunded {
        // Cancelled in ticketing, which moves no money.
        "none"
    } else if order.payment_provider == COUNTER_PROVIDER {
        "counter"
    } else {
        "provider"
    }
}

/// Renders the organization's `key` template in `lang`, in the sandbox; a template of the
/// organization's that fails for these values falls back to the built-in one, so the buyer
/// still gets the mail.
pub async fn render(
    db: &fullhouse_core::Db,
    org: &OrgId,
    key: &str,
    lang: Lang,
    variables: &serde_json::Value,
) -> Result<mail::Rendered> {
    let template = MailService::new(db.clone())
        .template(org, key, lang.code())
        .await?;
    let renderer = mail::sandbox::renderer();
    match renderer.render(&template, variables).await {
        Ok(rendered) => Ok(rendered),
        Err(err) if !template.built_in => {
            tracing::warn!(%org, key, error = %err, "the organization's template failed; using the built-in one");
            let built_in =
                mail::templates::built_in(key, lang.code()).ok_or(Error::NotFound("template"))?;
            renderer.render(&built_in, variables).await
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_has_a_built_in_template_and_its_own_key() {
        let id = OrderId::from_db("ord_1".into());
        for notice in [Notice::Confirmation, Notice::Cancellation] {
            assert!(mail::templates::built_in(notice.template(), "da").is_some());
        }
        assert_ne!(
            Notice::Confirmation.idempotency_key(&id),
            Notice::Cancellation.idempotency_key(&id)
        );
    }
}
