//! The terms an order is placed on beyond a sale's usual ones. A storefront or box-office sale is
//! held for checkout's hold (15 minutes) or paid at once; a purchase intent made by an organizer
//! holds its seats for days, until the organizer settles it, or gives its tickets away.

use chrono::{DateTime, Duration, Utc};

use crate::model::Priced;

/// How long an order awaiting payment keeps what it took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HoldTerm {
    /// Checkout's hold, from the time the order is placed (a buyer at the storefront).
    #[default]
    Checkout,
    /// Until this time (a payment link valid for N days or until a date).
    Until(DateTime<Utc>),
    /// Until the organizer marks it paid or cancels it (reserve and invoice): never swept.
    UntilSettled,
}

impl HoldTerm {
    /// When the hold of an order placed `now` runs out (`None`: never by itself).
    pub fn expires_at(self, now: DateTime<Utc>, checkout_hold: Duration) -> Option<DateTime<Utc>> {
        match self {
            Self::Checkout => Some(now + checkout_hold),
            Self::Until(at) => Some(at),
            Self::UntilSettled => None,
        }
    }
}

/// The terms of one order: its hold, and whether it is given away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaleTerms {
    pub hold: HoldTerm,
    /// Issued at once at price 0 (complimentary tickets): paid when placed, no code uses taken.
    pub complimentary: bool,
}

impl SaleTerms {
    pub fn held(hold: HoldTerm) -> Self {
        Self {
            hold,
            complimentary: false,
        }
    }

    pub fn complimentary() -> Self {
        Self {
            hold: HoldTerm::Checkout,
            complimentary: true,
        }
    }
}

/// Gives every ticket of a priced cart away: price 0, and no grant applied (so no code use is
/// taken for a ticket that costs nothing anyway). The list price stays, so reports can say what
/// was given.
pub(super) fn give_away(priced: &mut Priced) {
    for ticket in &mut priced.tickets {
        ticket.price_minor = 0;
        ticket.grant = None;
        ticket.short_of = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_until_settled_never_expires_by_itself() {
        let now = Utc::now();
        assert_eq!(
            HoldTerm::UntilSettled.expires_at(now, Duration::minutes(15)),
            None
        );
        assert_eq!(
            HoldTerm::Checkout.expires_at(now, Duration::minutes(15)),
            Some(now + Duration::minutes(15))
        );
        let at = now + Duration::days(7);
        assert_eq!(
            HoldTerm::Until(at).expires_at(now, Duration::minutes(15)),
            Some(at)
        );
    }
}
