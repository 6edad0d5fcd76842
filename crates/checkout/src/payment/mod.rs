//! Payment behind a provider interface, chosen per organization ([`settings`]).
//!
//! - [`TestPayments`] (the default): a clearly labelled test provider that marks orders paid
//!   without moving money, so the whole flow can be shown and tested before a real provider is
//!   configured.
//! - [`stripe::StripePayments`]: Stripe's **hosted Checkout Sessions**. The pay step creates a
//!   session and sends the buyer to Stripe's page (no card data ever reaches our pages, so the
//!   server stays out of PCI scope beyond SAQ A); the order stays awaiting payment until Stripe's
//!   signed webhook ([`webhook`]) says the session was paid. Refunds go through Stripe's refunds
//!   API.

pub mod api;
pub mod pages;
pub mod refunds;
pub mod settings;
pub mod stripe;
pub mod webhook;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use fullhouse_core::{OrgId, Result};
use fullhouse_ticketing::OrderId;

/// One line the buyer pays for (a ticket), in the order's currency and minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLine {
    pub name: String,
    pub amount_minor: i64,
}

/// One payment to take or refund.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    pub org: OrgId,
    pub order_id: OrderId,
    pub amount_minor: i64,
    pub currency: String,
    /// What the buyer's payment step produced (a card token, a provider session id). The test
    /// provider declines the token `decline` and accepts anything else.
    pub token: Option<String>,
    /// What is paid for, line by line; their amounts add up to `amount_minor` (a provider that
    /// shows lines falls back to one line for the order otherwise).
    pub lines: Vec<PaymentLine>,
    /// Where a provider that takes the buyer to its own page sends them back: the order page.
    pub return_url: Option<String>,
    /// The end of the order's hold: a provider's payment page must close before it.
    pub pay_by: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    Paid {
        reference: String,
    },
    Declined {
        reason: String,
    },
    /// The buyer pays on the provider's page at `url`; the order stays awaiting payment until
    /// the provider confirms the payment (Stripe: its signed webhook).
    Redirect {
        url: String,
    },
}

/// A payment provider. Called outside any database transaction (a real one talks to a remote
/// service); checkout records the outcome afterwards with a conditional update.
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// Stored with each order (`test`, `stripe`, …).
    fn id(&self) -> &'static str;
    /// Shown to buyers and organizers: a test provider must say so on every payment page.
    fn label(&self) -> &'static str;
    fn is_test(&self) -> bool;
    /// How long an order must still be held when its buyer is sent to the provider's page
    /// (`None`: the provider answers at once). Stripe's sessions stay open at least 30 minutes,
    /// so checkout lengthens a shorter hold before sending the buyer there.
    fn hold_for_redirect(&self) -> Option<Duration> {
        None
    }
    async fn charge(&self, request: &PaymentRequest) -> Result<PaymentOutcome>;
    /// Gives the payment `reference` back in full; returns the provider's reference of the
    /// refund. Safe to call again for the same payment (the provider deduplicates).
    async fn refund(&self, request: &PaymentRequest, reference: &str) -> Result<String>;
}

/// What a buyer or the staff read about `provider`, in `lang`: the test provider's notice is
/// translated (its [`PaymentProvider::label`] is the English one, for logs and the API).
pub fn label_in(provider: &dyn PaymentProvider, lang: fullhouse_web::Lang) -> String {
    if provider.is_test() {
        lang.t("payments-provider-test")
    } else {
        provider.label().to_string()
    }
}

/// TEST PAYMENTS — no money moves. Every charge succeeds except the token `decline`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestPayments;

#[async_trait]
impl PaymentProvider for TestPayments {
    fn id(&self) -> &'static str {
        "test"
    }

    fn label(&self) -> &'static str {
        "TEST PAYMENTS — no money moves"
    }

    fn is_test(&self) -> bool {
        true
    }

    async fn charge(&self, request: &PaymentRequest) -> Result<PaymentOutcome> {
        if request.token.as_deref() == Some("decline") {
            return Ok(PaymentOutcome::Declined {
                reason: "the test provider declines the token `decline`".into(),
            });
        }
        Ok(PaymentOutcome::Paid {
            reference: format!("TEST-{}", request.order_id),
        })
    }

    async fn refund(&self, request: &PaymentRequest, _reference: &str) -> Result<String> {
        Ok(format!("TEST-REFUND-{}", request.order_id))
    }
}
