//! Types and rules of the ticketing facts; no I/O.

pub mod catalog;
pub mod customers;
pub mod gender;
pub mod orders;
pub mod venues;

/// The public ids of the ticketing facts.
pub mod ids {
    use fullhouse_core::define_id;

    define_id!(
        /// A venue.
        VenueId, "ven", "venue"
    );
    define_id!(
        /// A seat in a venue's seat map.
        SeatId, "seat", "seat"
    );
    define_id!(
        /// A general-admission area of a venue.
        GaAreaId, "ga", "GA area"
    );
    define_id!(
        /// A production (show, tour, season item).
        ProductionId, "prd", "production"
    );
    define_id!(
        /// A dated performance of a production.
        EventId, "evt", "event"
    );
    define_id!(
        /// A shop: the public shop or a secret shop.
        ShopId, "shp", "shop"
    );
    define_id!(
        /// A ticket type of an event.
        TicketTypeId, "tt", "ticket type"
    );
    define_id!(
        /// A customer.
        CustomerId, "cus", "customer"
    );
    define_id!(
        /// An order.
        OrderId, "ord", "order"
    );
    define_id!(
        /// A ticket of an order.
        TicketId, "tkt", "ticket"
    );
}

/// Shared field rules.
pub mod rules {
    use fullhouse_core::{Error, Result};

    /// An optional text field: trimmed; empty means absent; at most `max` characters.
    pub fn optional_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
        match value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        {
            Some(v) if v.chars().count() > max => Err(Error::invalid(
                field,
                format!("must be at most {max} characters"),
            )),
            other => Ok(other),
        }
    }

    /// A latitude/longitude pair: both or neither, each in range.
    pub fn coordinates(
        latitude: Option<f64>,
        longitude: Option<f64>,
    ) -> Result<(Option<f64>, Option<f64>)> {
        match (latitude, longitude) {
            (None, None) => Ok((None, None)),
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(Error::invalid("latitude", "must be between -90 and 90"));
                }
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(Error::invalid("longitude", "must be between -180 and 180"));
                }
                Ok((Some(lat), Some(lon)))
            }
            (Some(_), None) => Err(Error::invalid(
                "longitude",
                "is required when latitude is given",
            )),
            (None, Some(_)) => Err(Error::invalid(
                "latitude",
                "is required when longitude is given",
            )),
        }
    }
}
