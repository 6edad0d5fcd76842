//! Money as integer minor units with a currency: never floating point.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};

/// An amount in minor units (øre, cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Minor units: 12500 is 125.00.
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `DKK`, `EUR`.
    pub currency: String,
}

impl Money {
    pub fn new(amount_minor: i64, currency: impl Into<String>) -> Self {
        Self {
            amount_minor,
            currency: currency.into(),
        }
    }

    /// Formats for people: `125.00 DKK`.
    pub fn display(&self) -> String {
        format_minor(self.amount_minor, &self.currency)
    }
}

pub fn format_minor(amount_minor: i64, currency: &str) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", abs / 100, abs % 100)
}

/// A price must be zero or more and below a trillion minor units.
pub fn validate_amount(field: &str, amount_minor: i64) -> Result<i64> {
    if (0..1_000_000_000_000).contains(&amount_minor) {
        Ok(amount_minor)
    } else {
        Err(Error::invalid(
            field,
            "must be between 0 and 999999999999 minor units",
        ))
    }
}

/// Parses a decimal amount such as `125`, `125.5`, `125,50` into minor units.
pub fn parse_decimal_minor(field: &str, text: &str) -> Result<i64> {
    let cleaned = text.trim().replace(',', ".");
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((cleaned.as_str(), ""));
    let bad = || Error::invalid(field, format!("`{text}` is not an amount such as 125.50"));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_become_minor_units() {
        assert_eq!(parse_decimal_minor("price", "125").ok(), Some(12500));
        assert_eq!(parse_decimal_minor("price", "125,5").ok(), Some(12550));
        assert_eq!(parse_decimal_minor("price", "0.05").ok(), Some(5));
        assert!(parse_decimal_minor("price", "1.234").is_err());
        assert!(parse_decimal_minor("price", "-1").is_err());
        assert_eq!(format_minor(12550, "DKK"), "125.50 DKK");
    }
}
