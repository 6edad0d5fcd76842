//! The organizer's own endpoint: the contacts POSTed as JSON batches of at most 1,000,
//! `{"batch": k, "contacts": [...]}` with `k` counting from 1 within one push, each contact as
//! [`Contact`] serializes (`customer_id`, `email`, `first_name`, `last_name`, `phone`,
//! `language`, `country`, `postal_code`, `city`, `tags`).
//!
//! # Signature
//!
//! Every request carries
//!
//! - `X-Fullhouse-Timestamp: <unix seconds>` — when it was signed, and
//! - `X-Fullhouse-Signature: sha256=<hex>` — the HMAC-SHA256, keyed with the connector's
//!   secret, of the timestamp, a `.`, and the raw body bytes: `HMAC(secret, "{ts}.{body}")`.
//!
//! The receiver recomputes it over the body exactly as received and compares in constant time
//! ([`verify`] does so), and refuses a timestamp far from its clock: the timestamp is inside
//! the signed string so an old request cannot be replayed with a fresh header.
//!
//! # Answer
//!
//! A 2xx accepts the batch. If its body is JSON with `"rejected": [{"email", "reason"}]`, those
//! contacts are reported as refused (matched back by email, or by `customer_id` if given).
//! Anything else than 2xx fails the call with the start of the body in the error; 429 and 5xx
//! are tried again first. A repeated batch (after a retry) must be treated as the same upsert.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use fullhouse_core::{Error, Result};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::http::{self, Retry};
use super::{BatchOutcome, Contact, EmailTool, Rejected};

/// Contacts in one request.
pub const BATCH_SIZE: usize = 1_000;
pub const SIGNATURE_HEADER: &str = "X-Fullhouse-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Fullhouse-Timestamp";
const TOOL: &str = "The webhook";

/// One organization's webhook; one value per push, since it counts the batches.
pub struct Webhook {
    http: reqwest::Client,
    url: String,
    secret: String,
    retry: Retry,
    sent: AtomicU64,
}

/// `sha256=<hex>` of `"{timestamp}.{body}"` keyed with `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = mac(secret, timestamp);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn mac(secret: &str, timestamp: i64) -> Hmac<Sha256> {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac
}

/// What a receiver does: the signature matches (compared in constant time) and the timestamp is
/// within `tolerance_secs` of `now`.
pub fn verify(
    secret: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> bool {
    let Ok(timestamp) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now - timestamp).abs() > tolerance_secs {
        return false;
    }
    let Some(given) = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let mut mac = mac(secret, timestamp);
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

impl Webhook {
    pub fn new(http: reqwest::Client, url: &str, secret: &str) -> Result<Self> {
        let url = http::base_url(url, "url")?;
        if secret.trim().is_empty() {
            return Err(Error::required("secret"));
        }
        Ok(Self {
            http,
            url,
            secret: secret.to_string(),
            retry: Retry::default(),
            sent: AtomicU64::new(0),
        })
    }

    /// Shorter pauses between attempts (tests).
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }
}

#[derive(Serialize)]
struct Batch<'a> {
    batch: u64,
    contacts: &'a [Contact],
}

#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    rejected: Vec<Refusal>,
}

#[derive(Debug, Deserialize)]
struct Refusal {
    #[serde(default)]
    email: String,
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    reason: String,
}

fn rejected(contacts: &[Contact], refusals: Vec<Refusal>) -> Vec<Rejected> {
    let by_email: HashMap<String, &Contact> = contacts
        .iter()
        .map(|c| (c.email.trim().to_lowercase(), c))
        .collect();
    refusals
        .into_iter()
        .map(|r| {
            let contact = r
                .customer_id
                .as_deref()
                .and_then(|id| contacts.iter().find(|c| c.customer_id == id))
                .or_else(|| by_email.get(&r.email.trim().to_lowercase()).copied());
            Rejected {
                customer_id: contact.map(|c| c.customer_id.clone()).unwrap_or_default(),
                email: if r.email.is_empty() {
                    contact.map(|c| c.email.clone()).unwrap_or_default()
                } else {
                    r.email
                },
                reason: r.reason,
            }
        })
        .collect()
}

#[async_trait]
impl EmailTool for Webhook {
    fn batch_size(&self) -> usize {
        BATCH_SIZE
    }

    async fn push(&self, contacts: &[Contact]) -> Result<BatchOutcome> {
        if contacts.is_empty() {
            return Ok(BatchOutcome::default());
        }
        if contacts.len() > BATCH_SIZE {
            return Err(Error::internal(format!(
                "a webhook batch takes at most {BATCH_SIZE} contacts, not {}",
                contacts.len()
            )));
        }
        let batch = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        let body = serde_json::to_vec(&Batch { batch, contacts })
            .map_err(|e| Error::internal(format!("a webhook body: {e}")))?;
        let response = http::send(TOOL, &self.retry, || {
            // Signed at each attempt: a retry after a long Retry-After is not "old".
            let timestamp = chrono::Utc::now().timestamp();
            self.http
                .post(&self.url)
                .header("content-type", "application/json")
                .header(TIMESTAMP_HEADER, timestamp.to_string())
                .header(SIGNATURE_HEADER, signature(&self.secret, timestamp, &body))
                .body(body.clone())
        })
        .await?;
        if !response.status().is_success() {
            return Err(http::refused(TOOL, response).await);
        }
        let text = response.text().await.unwrap_or_default();
        // A receiver that answers nothing, or not JSON, accepted everything.
        let answer: Answer = serde_json::from_str(&text).unwrap_or_default();
        let rejected = rejected(contacts, answer.rejected);
        Ok(BatchOutcome {
            accepted: (contacts.len() as u64).saturating_sub(rejected.len() as u64),
            rejected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        // RFC 4231 test case 2 keys "Jefe" over "what do ya want for nothing?"; with the
        // timestamp prefix the message is "0.what do ya want …", so check the construction
        // against the HMAC computed directly.
        let mut direct = <Hmac<Sha256> as Mac>::new_from_slice(b"Jefe").expect("a key");
        direct.update(b"1700000000.{\"batch\":1}");
        let expected = format!("sha256={}", hex::encode(direct.finalize().into_bytes()));
        assert_eq!(signature("Jefe", 1_700_000_000, b"{\"batch\":1}"), expected);
    }

    #[test]
    fn verify_refuses_a_changed_body_an_old_timestamp_and_a_wrong_secret() {
        let body = b"{\"batch\":1,\"contacts\":[]}";
        let sig = signature("s3cret", 1_000, body);
        assert!(verify("s3cret", "1000", &sig, body, 1_100, 300));
        assert!(!verify(
            "s3cret",
            "1000",
            &sig,
            b"{\"batch\":2}",
            1_100,
            300
        ));
        assert!(!verify("s3cret", "1000", &sig, body, 2_000, 300));
        assert!(!verify("other", "1000", &sig, body, 1_100, 300));
        assert!(!verify("s3cret", "999", &sig, body, 1_100, 300));
    }

    #[test]
    fn refusals_find_their_customer() {
        let contacts = [Contact {
            customer_id: "c1".into(),
            email: "Ane@example.dk".into(),
            ..Contact::default()
        }];
        let out = rejected(
            &contacts,
            vec![Refusal {
                email: "ane@example.dk".into(),
                customer_id: None,
                reason: "bounced before".into(),
            }],
        );
        assert_eq!(out[0].customer_id, "c1");
        assert_eq!(out[0].reason, "bounced before");
    }
}
