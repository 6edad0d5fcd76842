//! Payment behind a provider interface. The default is [`TestPayments`]: a clearly labelled
//! test provider that marks orders paid without moving money, so the whole flow can be shown
//! and tested before a real provider (Stripe, Nets, …) is configured.

use async_trait::async_trait;
use fullhouse_core::{OrgId, Result};
use fullhouse_ticketing::OrderId;

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    Paid { reference: String },
    Declined { reason: String },
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
    async fn charge(&self, request: &PaymentRequest) -> Result<PaymentOutcome>;
    async fn refund(&self, request: &PaymentRequest, reference: &str) -> Result<()>;
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

    async fn refund(&self, _request: &PaymentRequest, _reference: &str) -> Result<()> {
        Ok(())
    }
}
