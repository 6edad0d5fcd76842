//! Stripe through its hosted **Checkout Sessions**: the buyer pays on Stripe's page, never ours.
//!
//! - Paying creates a session (`POST /v1/checkout/sessions`, form-encoded, `Authorization:
//!   Bearer sk_…`, an `Idempotency-Key`) with the order's tickets as line items in the order's
//!   currency and minor units, the order id as `client_reference_id` and in the metadata (with
//!   the organization), success and cancel URLs back to the order page, and `expires_at` before
//!   the order's hold ends; the buyer is sent to the session's `url`. Stripe lets a session
//!   close no sooner than 30 minutes after it was made, so checkout first lengthens a shorter
//!   hold ([`HOLD_FOR_REDIRECT`]) and the session closes [`WEBHOOK_GRACE`] before the hold does,
//!   leaving time for the webhook of a payment made in the last second.
//! - The order becomes paid only when the signed webhook says so ([`super::webhook`]).
//! - A refund is `POST /v1/refunds` with the PaymentIntent, its idempotency key made from the
//!   order and the payment, so asking twice refunds once.

use async_trait::async_trait;
use chrono::{Duration, Utc};
use fullhouse_core::{Error, Problem, Result};
use serde::Deserialize;

use super::{PaymentOutcome, PaymentProvider, PaymentRequest};

/// The least time a Stripe session may stay open (Stripe refuses a shorter `expires_at`).
const STRIPE_MIN_SESSION: Duration = Duration::minutes(30);
/// Between the session closing and the hold ending: for the webhook of a last-second payment.
pub const WEBHOOK_GRACE: Duration = Duration::minutes(5);
/// How long an order is held, at least, from the moment its buyer is sent to Stripe.
pub const HOLD_FOR_REDIRECT: Duration = Duration::minutes(36);

/// An organization's opened Stripe secrets.
#[derive(Clone)]
pub struct StripeKeys {
    pub secret_key: String,
    pub webhook_secret: String,
}

/// One organization's Stripe account.
#[derive(Clone)]
pub struct StripePayments {
    http: reqwest::Client,
    api: String,
    keys: StripeKeys,
}

/// The parts of a Checkout Session checkout reads.
#[derive(Debug, Deserialize)]
struct Session {
    id: String,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Refund {
    id: String,
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StripeError {
    error: StripeErrorBody,
}

#[derive(Debug, Deserialize)]
struct StripeErrorBody {
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl StripePayments {
    pub fn new(http: reqwest::Client, api: String, keys: StripeKeys) -> Self {
        Self { http, api, keys }
    }

    /// The secret Stripe signs this organization's webhook events with.
    pub fn webhook_secret(&self) -> &str {
        &self.keys.webhook_secret
    }

    /// The form of a Checkout Session for `request` (pure, so it can be checked without Stripe).
    pub fn session_form(request: &PaymentRequest) -> Result<Vec<(String, String)>> {
        let return_url = request.return_url.as_deref().ok_or_else(|| {
            Error::internal("a Stripe payment needs the order page to come back to")
        })?;
        let pay_by = request
            .pay_by
            .ok_or_else(|| Error::internal("a Stripe payment needs the order's hold"))?;
        let expires_at = pay_by - WEBHOOK_GRACE;
        if expires_at < Utc::now() + STRIPE_MIN_SESSION {
            return Err(Error::conflict(
                "status",
                "the hold on this order ends too soon to pay through Stripe — start again",
            ));
        }
        let currency = request.currency.to_ascii_lowercase();
        let mut form = vec![
            ("mode".to_string(), "payment".to_string()),
            (
                "client_reference_id".to_string(),
                request.order_id.to_string(),
            ),
            ("metadata[order_id]".into(), request.order_id.to_string()),
            ("metadata[organization_id]".into(), request.org.to_string()),
            (
                "payment_intent_data[metadata][order_id]".into(),
                request.order_id.to_string(),
            ),
            (
                "payment_intent_data[metadata][organization_id]".into(),
                request.org.to_string(),
            ),
            (
                "success_url".into(),
                format!("{return_url}?payment=returned"),
            ),
            (
                "cancel_url".into(),
                format!("{return_url}?payment=cancelled"),
            ),
            ("expires_at".into(), expires_at.timestamp().to_string()),
        ];
        let lines_add_up = !request.lines.is_empty()
            && request.lines.iter().map(|l| l.amount_minor).sum::<i64>() == request.amount_minor
            && request.lines.iter().all(|l| l.amount_minor >= 0);
        let lines: Vec<(String, i64)> = if lines_add_up {
            request
                .lines
                .iter()
                .map(|l| (l.name.clone(), l.amount_minor))
                .collect()
        } else {
            vec![(format!("Order {}", request.order_id), request.amount_minor)]
        };
        for (i, (name, amount)) in lines.into_iter().enumerate() {
            let item = format!("line_items[{i}]");
            form.push((format!("{item}[quantity]"), "1".into()));
            form.push((format!("{item}[price_data][currency]"), currency.clone()));
            form.push((
                format!("{item}[price_data][unit_amount]"),
                amount.to_string(),
            ));
            form.push((format!("{item}[price_data][product_data][name]"), name));
        }
        Ok(form)
    }

    /// The idempotency key of the session for one order and hold: clicking "pay" again while
    /// the hold stands gets the same session back from Stripe instead of a second one.
    pub fn session_key(request: &PaymentRequest) -> String {
        let until = request.pay_by.map_or(0, |t| t.timestamp());
        format!(
            "fullhouse-session-{}-{}-{until}",
            request.org, request.order_id
        )
    }

    /// The idempotency key of the refund of one payment of one order.
    pub fn refund_key(request: &PaymentRequest, payment_intent: &str) -> String {
        format!("fullhouse-refund-{}-{payment_intent}", request.order_id)
    }

    async fn post<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &[(String, String)],
    ) -> Result<T> {
        let response = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(&self.keys.secret_key)
            .header("Idempotency-Key", idempotency_key)
            .form(form)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, path, "Stripe could not be reached");
                Error::invalid_because(
                    "payment",
                    Problem::Unreachable,
                    "the payment provider (Stripe) could not be reached; try again",
                )
            })?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            let (kind, message) = match serde_json::from_str::<StripeError>(&body) {
                Ok(e) => (
                    e.error.kind.unwrap_or_default(),
                    e.error.message.unwrap_or_default(),
                ),
                Err(_) => (String::new(), String::new()),
            };
            tracing::warn!(%status, kind, message, path, "Stripe refused a request");
            return Err(Error::invalid(
                "payment",
                format!("the payment provider (Stripe) refused: {status} {message}")
                    .trim()
                    .to_string(),
            ));
        }
        serde_json::from_str(&body).map_err(|e| {
            Error::internal(format!(
                "Stripe answered {path} with an unreadable body: {e}"
            ))
        })
    }
}

#[async_trait]
impl PaymentProvider for StripePayments {
    fn id(&self) -> &'static str {
        super::settings::STRIPE
    }

    fn label(&self) -> &'static str {
        "Stripe"
    }

    fn is_test(&self) -> bool {
        false
    }

    fn hold_for_redirect(&self) -> Option<Duration> {
        Some(HOLD_FOR_REDIRECT)
    }

    async fn charge(&self, request: &PaymentRequest) -> Result<PaymentOutcome> {
        let form = Self::session_form(request)?;
        let session: Session = self
            .post("/v1/checkout/sessions", &Self::session_key(request), &form)
            .await?;
        let url = session.url.ok_or_else(|| {
            Error::internal(format!("Stripe's session {} has no url", session.id))
        })?;
        tracing::info!(order = %request.order_id, session = session.id, "buyer sent to Stripe");
        Ok(PaymentOutcome::Redirect { url })
    }

    async fn refund(&self, request: &PaymentRequest, reference: &str) -> Result<String> {
        let form = vec![
            ("payment_intent".to_string(), reference.to_string()),
            ("metadata[order_id]".into(), request.order_id.to_string()),
            ("metadata[organization_id]".into(), request.org.to_string()),
        ];
        let refund: Refund = self
            .post("/v1/refunds", &Self::refund_key(request, reference), &form)
            .await?;
        if refund.status.as_deref() == Some("failed") {
            return Err(Error::invalid(
                "refund",
                format!("Stripe's refund {} failed", refund.id),
            ));
        }
        Ok(refund.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::PaymentLine;
    use fullhouse_core::OrgId;
    use fullhouse_ticketing::OrderId;

    fn request(lines: Vec<PaymentLine>) -> PaymentRequest {
        PaymentRequest {
            org: OrgId::from_db("org_1".into()),
            order_id: OrderId::from_db("ord_1".into()),
            amount_minor: 30000,
            currency: "DKK".into(),
            token: None,
            lines,
            return_url: Some("http://shop.example/shop/x/orders/ord_1".into()),
            pay_by: Some(Utc::now() + HOLD_FOR_REDIRECT),
        }
    }

    fn value<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
        form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_session_lists_the_tickets_in_minor_units_of_the_lowercase_currency() {
        let form = StripePayments::session_form(&request(vec![
            PaymentLine {
                name: "A".into(),
                amount_minor: 10000,
            },
            PaymentLine {
                name: "B".into(),
                amount_minor: 20000,
            },
        ]))
        .unwrap();
        assert_eq!(value(&form, "mode"), Some("payment"));
        assert_eq!(value(&form, "client_reference_id"), Some("ord_1"));
        assert_eq!(
            value(&form, "line_items[1][price_data][unit_amount]"),
            Some("20000")
        );
        assert_eq!(
            value(&form, "line_items[0][price_data][currency]"),
            Some("dkk")
        );
        let expires: i64 = value(&form, "expires_at").unwrap().parse().unwrap();
        assert!(expires >= (Utc::now() + STRIPE_MIN_SESSION).timestamp());
    }

    #[test]
    fn lines_that_do_not_add_up_become_one_line_for_the_order() {
        let form = StripePayments::session_form(&request(vec![PaymentLine {
            name: "A".into(),
            amount_minor: 1,
        }]))
        .unwrap();
        assert_eq!(
            value(&form, "line_items[0][price_data][unit_amount]"),
            Some("30000")
        );
        assert_eq!(value(&form, "line_items[1][quantity]"), None);
    }

    #[test]
    fn a_hold_too_short_for_a_stripe_session_is_refused() {
        let mut short = request(Vec::new());
        short.pay_by = Some(Utc::now() + Duration::minutes(20));
        assert!(StripePayments::session_form(&short).is_err());
    }
}
