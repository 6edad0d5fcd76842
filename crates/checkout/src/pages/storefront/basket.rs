//! The basket beside the seat map: what the buyer has chosen so far and its running total, at
//! this buyer's prices. Drawn by the server (after a post, with what was posted); the shop's
//! script keeps it current as seats are ticked and quantities typed.

use crate::service::SaleView;

use super::seats::SeatMap;
use super::QuantityField;

pub struct Basket {
    pub tickets: u64,
    pub total_minor: i64,
    pub currency: String,
}

impl Basket {
    pub fn of(view: &SaleView, map: &SeatMap, quantities: &[QuantityField]) -> Self {
        let seats = map
            .blocks
            .iter()
            .flat_map(|b| b.rows.iter())
            .flat_map(|r| r.seats.iter())
            .filter(|s| s.checked);
        let (mut tickets, mut total_minor) = (0u64, 0i64);
        for seat in seats {
            tickets += 1;
            total_minor = total_minor.saturating_add(seat.price_minor);
        }
        for field in quantities {
            let count = field.value.parse::<u32>().unwrap_or(0);
            tickets += u64::from(count);
            total_minor = total_minor.saturating_add(
                field
                    .ticket_type
                    .best_price_minor
                    .saturating_mul(count.into()),
            );
        }
        Self {
            tickets,
            total_minor,
            currency: view
                .ticket_types
                .first()
                .map(|t| t.currency.clone())
                .unwrap_or_default(),
        }
    }
}
