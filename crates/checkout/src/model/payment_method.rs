//! How a sale paid at the box office counter was paid: cash, a card terminal, or an invoice sent
//! afterwards. Fullhouse takes none of these payments itself; it records which one the clerk
//! took, so the day's cash can be counted against the sales and invoices followed up.

use fullhouse_core::{Error, Problem, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The way a counter sale was paid. Online orders have none: their provider took the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
    Invoice,
}

/// The reason given when a counter sale names no payment method.
pub const PAYMENT_METHOD_REQUIRED: &str =
    "say how the buyer paid at the counter: cash, card or invoice";

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 3] = [Self::Cash, Self::Card, Self::Invoice];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cash => "cash",
            Self::Card => "card",
            Self::Invoice => "invoice",
        }
    }

    /// The stored value; anything else (never written) reads as no method rather than a guess.
    pub fn from_db(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }

    /// A method as a form posts it (`cash`, `card`, `invoice`); blank or unknown is none.
    pub fn parse(value: &str) -> Option<Self> {
        Self::from_db(value.trim())
    }

    /// The method a sale records: required when it is paid at the counter (422 on
    /// `payment_method`), refused when it is not — an order that waits for the payment
    /// provider was not paid in cash, by card or on invoice at the counter.
    pub fn for_sale(paid_at_counter: bool, method: Option<Self>) -> Result<Option<Self>> {
        match (paid_at_counter, method) {
            (true, Some(method)) => Ok(Some(method)),
            (true, None) => Err(Error::invalid_because(
                "payment_method",
                Problem::Required,
                PAYMENT_METHOD_REQUIRED,
            )),
            (false, None) => Ok(None),
            (false, Some(_)) => Err(Error::invalid(
                "payment_method",
                "only a sale paid at the counter records a payment method",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_sale_needs_a_method_and_a_held_order_takes_none() {
        assert_eq!(
            PaymentMethod::for_sale(true, Some(PaymentMethod::Card)).ok(),
            Some(Some(PaymentMethod::Card))
        );
        match PaymentMethod::for_sale(true, None) {
            Err(Error::Validation { fields, .. }) => {
                assert_eq!(fields[0].field, "payment_method");
                assert_eq!(fields[0].problem, Some(Problem::Required));
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
        assert_eq!(PaymentMethod::for_sale(false, None).ok(), Some(None));
        assert!(PaymentMethod::for_sale(false, Some(PaymentMethod::Cash)).is_err());
    }

    #[test]
    fn methods_read_back_what_they_store_and_nothing_else() {
        for method in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::from_db(method.as_str()), Some(method));
        }
        assert_eq!(PaymentMethod::parse(" card "), Some(PaymentMethod::Card));
        assert_eq!(PaymentMethod::parse(""), None);
        assert_eq!(PaymentMethod::parse("bitcoin"), None);
    }
}
