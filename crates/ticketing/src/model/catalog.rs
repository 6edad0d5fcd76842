//! Productions, events, ticket types and shops.

use chrono::{DateTime, Utc};
use fullhouse_core::Error;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ids::{EventId, GaAreaId, ProductionId, ShopId, TicketTypeId, VenueId};

/// A show, a tour or a season item; its dated performances are events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Production {
    pub id: ProductionId,
    pub name: String,
    pub description: Option<String>,
    /// Genre or kind (theatre, concert, comedy…), for segment filters.
    pub genre: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduction {
    pub name: String,
    pub description: Option<String>,
    pub genre: Option<String>,
}

/// Fields left out stay as they are; an empty string clears an optional field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductionPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub genre: Option<String>,
}

/// For patch fields where `null` clears and leaving the field out keeps it: absent → `None`,
/// `null` → `Some(None)`, a value → `Some(Some(value))`. Use with
/// `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

// ------------------------------------------------------------------------------------------
// Events.

/// Whether an event takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Scheduled,
    Cancelled,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads a stored status; anything unknown is shown as scheduled rather than failing a list.
    pub fn from_db(value: &str) -> Self {
        match value {
            "cancelled" => Self::Cancelled,
            _ => Self::Scheduled,
        }
    }
}

/// A dated performance of a production at a venue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub id: EventId,
    pub production_id: ProductionId,
    pub production_name: String,
    pub venue_id: VenueId,
    pub venue_name: String,
    /// The venue's time zone (IANA, e.g. `Europe/Copenhagen`): buyers read every time of the
    /// event in it, wherever they are.
    pub venue_timezone: String,
    /// The event's own name, when it differs from the production's.
    pub name: Option<String>,
    /// What to call the event: its own name, else the production's.
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub status: EventStatus,
    /// When sales open; ticket types may narrow it.
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    pub production_id: ProductionId,
    pub venue_id: VenueId,
    /// Leave out to use the production's name.
    pub name: Option<String>,
    pub starts_at: DateTime<Utc>,
    /// Must be after `starts_at`.
    pub ends_at: Option<DateTime<Utc>>,
    /// Defaults to `scheduled`.
    pub status: Option<EventStatus>,
    pub sales_start: Option<DateTime<Utc>>,
    /// Must be after `sales_start`.
    pub sales_end: Option<DateTime<Utc>>,
}

/// Fields left out stay as they are; `null` clears an optional time, an empty name clears the
/// name override.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    pub production_id: Option<ProductionId>,
    /// Refused once the event has tickets or ticket types bound to the venue's GA areas.
    pub venue_id: Option<VenueId>,
    pub name: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub status: Option<EventStatus>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub sales_start: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub sales_end: Option<Option<DateTime<Utc>>>,
}

/// Which events to list. Every filter is optional; they combine with AND.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventFilter {
    pub production_id: Option<ProductionId>,
    pub venue_id: Option<VenueId>,
    /// Events starting at or after this time (RFC 3339, e.g. `2026-01-01T00:00:00Z`).
    pub from: Option<DateTime<Utc>>,
    /// Events starting before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    pub status: Option<EventStatus>,
    /// Words that must each appear (any case) in the event's name, its production's name or its
    /// venue's name.
    pub q: Option<String>,
}

impl EventFilter {
    pub fn validate(&self) -> Result<(), Error> {
        match (self.from, self.to) {
            (Some(from), Some(to)) if to <= from => {
                Err(Error::invalid("to", "must be after `from`"))
            }
            _ => Ok(()),
        }
    }
}

/// `end` must come after `start` when both are set.
pub fn check_window(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    end_field: &str,
    start_field: &str,
) -> Result<(), Error> {
    match (start, end) {
        (Some(start), Some(end)) if end <= start => Err(Error::invalid(
            end_field,
            format!("must be after `{start_field}`"),
        )),
        _ => Ok(()),
    }
}

// ------------------------------------------------------------------------------------------
// Ticket types.

/// What is sold for an event: a price in a category, with an optional capacity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketType {
    pub id: TicketTypeId,
    pub event_id: EventId,
    /// Set when this ticket type belongs to a secret shop.
    pub shop_id: Option<ShopId>,
    pub name: String,
    /// The price zone or seat category.
    pub category: Option<String>,
    pub price_minor: i64,
    pub currency: String,
    /// The most tickets of this type that may be sold; `null` is no limit of its own.
    pub capacity: Option<i64>,
    pub sold: i64,
    /// `capacity − sold` (never below zero), or `null` without a capacity.
    pub available: Option<i64>,
    /// Hidden ticket types are sold only to those who unlock them with a code.
    pub hidden: bool,
    /// For general admission: the venue's GA area the tickets are for.
    pub ga_area_id: Option<GaAreaId>,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketType {
    pub name: String,
    pub category: Option<String>,
    /// Zero or more, in minor units (12500 is 125.00).
    pub price_minor: i64,
    /// ISO 4217; defaults to the organization's currency.
    pub currency: Option<String>,
    /// 1 or more; leave out for no limit of its own.
    pub capacity: Option<i64>,
    #[serde(default)]
    pub hidden: bool,
    /// A secret shop this ticket type belongs to.
    pub shop_id: Option<ShopId>,
    /// A GA area of the event's venue.
    pub ga_area_id: Option<GaAreaId>,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
}

/// Fields left out stay as they are; `null` clears an optional field, an empty category clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketTypePatch {
    pub name: Option<String>,
    pub category: Option<String>,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    /// Cannot go below the number sold; `null` removes the limit.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub capacity: Option<Option<i64>>,
    pub hidden: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ShopId>)]
    pub shop_id: Option<Option<ShopId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<GaAreaId>)]
    pub ga_area_id: Option<Option<GaAreaId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub sales_start: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub sales_end: Option<Option<DateTime<Utc>>>,
}

/// A capacity is 1 or more, or none.
pub fn check_capacity(capacity: Option<i64>) -> Result<Option<i64>, Error> {
    match capacity {
        Some(n) if n < 1 => Err(Error::invalid("capacity", "must be 1 or more")),
        other => Ok(other),
    }
}

/// What is left to sell: never negative (imported history may exceed a later capacity).
pub fn available(capacity: Option<i64>, sold: i64) -> Option<i64> {
    capacity.map(|c| (c - sold).max(0))
}

// ------------------------------------------------------------------------------------------
// Shops.

/// The public shop, or a secret shop: a hidden sales page with its own ticket types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShopKind {
    Public,
    Secret,
}

impl ShopKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Secret => "secret",
        }
    }

    /// Reads a stored kind; anything unknown is treated as secret, the safer of the two.
    pub fn from_db(value: &str) -> Self {
        match value {
            "public" => Self::Public,
            _ => Self::Secret,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    pub kind: ShopKind,
    /// Whether the shop sells now. A closed shop's page answers "not found" to buyers; its
    /// ticket types stay locked (sold only with a code that unlocks them).
    pub open: bool,
    /// The ticket types sold only in this shop, oldest first.
    pub ticket_type_ids: Vec<TicketTypeId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShop {
    pub name: String,
    pub kind: ShopKind,
    /// Open by default: a new shop sells as soon as it has ticket types.
    #[serde(default = "open_by_default")]
    pub open: bool,
}

fn open_by_default() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopPatch {
    pub name: Option<String>,
    pub kind: Option<ShopKind>,
    pub open: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "nullable")]
        value: Option<Option<i64>>,
    }

    #[test]
    fn nullable_tells_absent_from_null() {
        let absent: Probe = serde_json::from_str("{}").expect("json");
        let null: Probe = serde_json::from_str(r#"{"value": null}"#).expect("json");
        let set: Probe = serde_json::from_str(r#"{"value": 3}"#).expect("json");
        assert_eq!(absent.value, None);
        assert_eq!(null.value, Some(None));
        assert_eq!(set.value, Some(Some(3)));
    }

    #[test]
    fn available_never_goes_negative() {
        assert_eq!(available(Some(10), 4), Some(6));
        assert_eq!(available(Some(10), 12), Some(0));
        assert_eq!(available(None, 12), None);
    }
}
