//! Email tools: a segment's consenting customers pushed as contacts, in the batches each tool
//! accepts, with every record the tool refused and its reason kept for the job's result.
//!
//! The push job (see `crate::jobs`) walks the members in batches of
//! [`EmailTool::batch_size`], builds [`Contact`]s of the customers whose email permission allows
//! marketing at that moment, and calls [`EmailTool::push`]; what comes back as [`Rejected`] is
//! written to the job's rejected file.

pub mod brevo;
pub mod http;
pub mod klaviyo;
pub mod mailchimp;
pub mod webhook;

pub use brevo::Brevo;
pub use http::{http_client, Retry};
pub use klaviyo::Klaviyo;
pub use mailchimp::Mailchimp;
pub use webhook::Webhook;

use async_trait::async_trait;
use fullhouse_core::Result;
use serde::Serialize;

/// One customer as an email tool receives it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Contact {
    pub customer_id: String,
    /// Always present: a customer without an email is not pushed.
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// As stored (E.164 where the customer gave a country code).
    pub phone: Option<String>,
    /// `en`, `da`, `fr`, …
    pub language: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    /// The customer's tags plus the tags the push adds (the segment's name, typically).
    pub tags: Vec<String>,
}

/// A record the tool refused, with its reason in the tool's own words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub customer_id: String,
    pub email: String,
    pub reason: String,
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchOutcome {
    /// Records the tool took (created or updated).
    pub accepted: u64,
    pub rejected: Vec<Rejected>,
}

/// An email tool's client, made from a connector's settings and its decrypted credentials.
#[async_trait]
pub trait EmailTool: Send + Sync {
    /// The most contacts one call takes (Mailchimp 500, Klaviyo 10,000, …).
    fn batch_size(&self) -> usize;

    /// Sends one batch (at most [`EmailTool::batch_size`] contacts). An error is for the whole
    /// call (unreachable, refused credentials, a 5xx after retries): the job stops and says so.
    /// Refusals of single records are returned in [`BatchOutcome::rejected`].
    async fn push(&self, contacts: &[Contact]) -> Result<BatchOutcome>;
}
