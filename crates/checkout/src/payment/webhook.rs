//! `POST /webhooks/stripe/{organization}`: Stripe tells checkout a session was paid.
//!
//! Public (Stripe calls it), so no login and no CSRF token: what makes a request believable is
//! the `Stripe-Signature` header, checked exactly as Stripe documents
//! (<https://docs.stripe.com/webhooks#verify-manually>): `t=<unix time>,v1=<hex>[,v1=…]`, where a
//! `v1` is the HMAC-SHA256 of `"{t}.{raw body}"` under the endpoint's signing secret. Any one
//! matching `v1` is enough (Stripe sends several while a secret is being rolled); the comparison
//! is constant-time; `t` must be within [`TOLERANCE_SECONDS`] of checkout's clock.
//!
//! Answers:
//! - **400** — no or a wrong signature, a timestamp out of tolerance, a body that is not an event:
//!   nothing is recorded or changed (Stripe retries; an attacker learns nothing).
//! - **200** — any correctly signed event. Each event id is recorded once per organization: the
//!   same event again (Stripe redelivers; an attacker replays within the tolerance) answers 200
//!   with `"outcome": "replay"` and changes nothing. Event types other than
//!   `checkout.session.completed` / `checkout.session.async_payment_succeeded` are recorded and
//!   ignored.
//!
//! A paid session (`payment_status = paid`) makes its order (`client_reference_id`) paid through
//! checkout's pay transition, with the PaymentIntent as the payment's reference, but only when
//! the amount and currency are the order's: otherwise the order is left as it is, the event is
//! recorded as `amount_mismatch` and logged for the organizer. A payment for an order that is no
//! longer awaiting it (its hold ran out and its seats went back, or it was cancelled), or a second
//! payment of a paid order, is refunded at once (see [`crate::payment::refunds`]).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, OrgId};
use fullhouse_ticketing::OrderId;
use hmac::Mac;
use serde::Deserialize;
use sha2::Sha256;

use crate::service::Confirmation;
use crate::store::checkout_stripe_events;
use crate::Checkout;

/// How far a signature's timestamp may be from checkout's clock (Stripe's libraries' default).
pub const TOLERANCE_SECONDS: i64 = 300;
/// The event types that carry a paid Checkout Session.
const PAID_EVENTS: [&str; 2] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
];

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/stripe/{org}", post(receive))
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No `Stripe-Signature` header, or one without `t` or `v1`.
    Missing,
    /// Its timestamp is further than the tolerance from now.
    OutOfTolerance,
    /// No `v1` matches the body under the signing secret.
    Mismatch,
}

impl SignatureError {
    fn reason(self) -> &'static str {
        match self {
            Self::Missing => "missing or malformed (expected t=…,v1=…)",
            Self::OutOfTolerance => "its timestamp is too far from now (replayed or delayed)",
            Self::Mismatch => "no v1 signature matches the body and the signing secret",
        }
    }
}

/// Checks a `Stripe-Signature` header against the raw `payload`; returns its timestamp.
pub fn verify(
    header: &str,
    payload: &[u8],
    secret: &str,
    now: i64,
    tolerance: i64,
) -> Result<i64, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = value.parse::<i64>().ok(),
            "v1" => {
                if let Ok(bytes) = hex::decode(value) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Missing)?;
    if signatures.is_empty() {
        return Err(SignatureError::Missing);
    }
    let matches = signatures.iter().any(|signature| {
        // `verify_slice` compares in constant time.
        mac(secret, timestamp, payload)
            .verify_slice(signature)
            .is_ok()
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now - timestamp).abs() > tolerance {
        return Err(SignatureError::OutOfTolerance);
    }
    Ok(timestamp)
}

/// The `Stripe-Signature` header Stripe would send for `payload` at `timestamp` (tests and
/// tools that replay events sign with it).
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let signature = hex::encode(mac(secret, timestamp, payload).finalize().into_bytes());
    format!("t={timestamp},v1={signature}")
}

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> hmac::Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// The parts of a Checkout Session the webhook reads.
#[derive(Debug, Deserialize)]
struct Session {
    client_reference_id: Option<String>,
    payment_status: Option<String>,
    payment_intent: Option<String>,
    amount_total: Option<i64>,
    currency: Option<String>,
    #[serde(default)]
    metadata: HashMap<String, String>,
}

async fn receive(
    State(_state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(org) = OrgId::parse(&org) else {
        return Error::NotFound("organization").into_response();
    };
    match checkout.stripe_webhook(&org, &headers, &body).await {
        Ok(outcome) => (
            StatusCode::OK,
            Json(serde_json::json!({"received": true, "outcome": outcome})),
        )
            .into_response(),
        // Stripe's convention for a refused delivery: 400 (in the one error shape).
        Err(err @ Error::Validation { .. }) => {
            let mut response = err.into_response();
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response
        }
        Err(err) => err.into_response(),
    }
}

impl Checkout {
    /// Verifies and handles one webhook request; returns what it did (`paid`, `replay`,
    /// `ignored`, `amount_mismatch`, `late_refunded`, …).
    pub async fn stripe_webhook(
        &self,
        org: &OrgId,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<&'static str, Error> {
        let stripe = self.stripe(org).await.map_err(|_| {
            Error::invalid(
                "organization",
                "this organization has no Stripe webhook secret configured",
            )
        })?;
        let header = headers
            .get("stripe-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let now = self.clock.now().timestamp();
        if let Err(why) = verify(
            header,
            body,
            stripe.webhook_secret(),
            now,
            TOLERANCE_SECONDS,
        ) {
            tracing::warn!(%org, reason = why.reason(), "a Stripe webhook was refused");
            return Err(Error::invalid("Stripe-Signature", why.reason()));
        }
        let event: Event = serde_json::from_slice(body)
            .map_err(|e| Error::MalformedBody(format!("not a Stripe event: {e}")))?;
        let receipt = |order: Option<&str>, outcome: &str| checkout_stripe_events::Model {
            organization_id: org.to_string(),
            event_id: event.id.clone(),
            event_type: event.kind.clone(),
            order_id: order.map(str::to_string),
            outcome: outcome.to_string(),
            received_at: self.clock.now(),
        };
        if !PAID_EVENTS.contains(&event.kind.as_str()) {
            return self.record_event(receipt(None, "ignored"), "ignored").await;
        }
        let session: Session = serde_json::from_value(event.data.object.clone())
            .map_err(|e| Error::MalformedBody(format!("not a Checkout Session: {e}")))?;
        let Some(order_ref) = session.client_reference_id.clone() else {
            return self.record_event(receipt(None, "ignored"), "ignored").await;
        };
        if session.payment_status.as_deref() != Some("paid") {
            // `unpaid` (a delayed method still on its way): `async_payment_succeeded` follows.
            return self
                .record_event(receipt(Some(&order_ref), "not_paid_yet"), "not_paid_yet")
                .await;
        }
        let foreign = session
            .metadata
            .get("organization_id")
            .is_some_and(|o| o != org.as_str());
        let order_id = OrderId::parse(&order_ref).ok();
        let row = match (&order_id, foreign) {
            (Some(id), false) => self.find(self.db.reader(), org, id).await.ok(),
            _ => None,
        };
        let (Some(id), Some(row)) = (order_id, row) else {
            tracing::warn!(%org, order = order_ref, event = event.id, "a paid Stripe session names no order of this organization");
            return self
                .record_event(receipt(None, "unknown_order"), "unknown_order")
                .await;
        };
        let Some(payment_intent) = session.payment_intent.clone() else {
            return self
                .record_event(
                    receipt(Some(id.as_str()), "no_payment_intent"),
                    "no_payment_intent",
                )
                .await;
        };
        let same_currency = session
            .currency
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&row.currency));
        if session.amount_total != Some(row.total_minor) || !same_currency {
            tracing::error!(
                %org, order = %id, event = event.id, payment_intent,
                paid = ?session.amount_total, currency = ?session.currency,
                expected = row.total_minor, expected_currency = row.currency,
                "a Stripe payment does not match its order's amount or currency; the order is left unpaid for the organizer"
            );
            return self
                .record_event(
                    receipt(Some(id.as_str()), "amount_mismatch"),
                    "amount_mismatch",
                )
                .await;
        }
        let confirmation = self
            .confirm_payment(
                org,
                &id,
                &payment_intent,
                receipt(Some(id.as_str()), "paid"),
            )
            .await?;
        Ok(match confirmation {
            Confirmation::Paid => "paid",
            Confirmation::AlreadyPaid => "already_paid",
            Confirmation::Replay => "replay",
            Confirmation::Refunded => "late_refunded",
            Confirmation::RefundFailed => "late_refund_failed",
        })
    }

    /// Records an event that changes no order: `outcome`, or `replay` when it was recorded
    /// before.
    async fn record_event(
        &self,
        receipt: checkout_stripe_events::Model,
        outcome: &'static str,
    ) -> Result<&'static str, Error> {
        if self.insert_receipt(self.db.writer(), receipt).await? {
            Ok(outcome)
        } else {
            Ok("replay")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    /// The signature computed the documented way with another tool:
    /// `printf '%s' "1492774577.{body}" | openssl dgst -sha256 -hmac whsec_test_secret`.
    const OPENSSL_V1: &str = "dc9eef2b05266028c63c8e182a8e263064a8ba937b37f39174c7ca4d5bddb867";

    #[test]
    fn a_signature_made_as_stripe_documents_is_accepted() {
        let t = 1_492_774_577;
        let header = format!("t={t},v1={OPENSSL_V1}");
        assert_eq!(sign(BODY, SECRET, t), header);
        assert_eq!(verify(&header, BODY, SECRET, t + 10, 300), Ok(t));
    }

    #[test]
    fn any_of_several_v1_signatures_may_match_and_v0_is_ignored() {
        let t = 1_700_000_000;
        let good = sign(BODY, SECRET, t);
        let good_v1 = good.split(",v1=").nth(1).unwrap();
        let header = format!("t={t},v0=abcd,v1={},v1={good_v1}", "00".repeat(32));
        assert_eq!(verify(&header, BODY, SECRET, t, 300), Ok(t));
    }

    #[test]
    fn a_changed_body_another_secret_or_no_signature_is_refused() {
        let t = 1_700_000_000;
        let header = sign(BODY, SECRET, t);
        assert_eq!(
            verify(&header, b"{}", SECRET, t, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, BODY, "whsec_other", t, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("", BODY, SECRET, t, 300),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(&format!("t={t}"), BODY, SECRET, t, 300),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify("v1=zz,t=x", BODY, SECRET, t, 300),
            Err(SignatureError::Missing)
        );
        // The timestamp is signed too: moving it breaks the signature.
        let moved = header.replace(&format!("t={t}"), &format!("t={}", t + 1));
        assert_eq!(
            verify(&moved, BODY, SECRET, t, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_older_or_newer_than_the_tolerance_is_refused() {
        let t = 1_700_000_000;
        let header = sign(BODY, SECRET, t);
        assert_eq!(verify(&header, BODY, SECRET, t + 300, 300), Ok(t));
        assert_eq!(
            verify(&header, BODY, SECRET, t + 301, 300),
            Err(SignatureError::OutOfTolerance)
        );
        assert_eq!(
            verify(&header, BODY, SECRET, t - 301, 300),
            Err(SignatureError::OutOfTolerance)
        );
    }

    #[test]
    fn the_hmac_is_the_one_of_rfc_4231() {
        // RFC 4231 test case 2 (key "Jefe"), through the same HMAC-SHA256 the check uses.
        let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
