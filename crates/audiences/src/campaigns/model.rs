//! Campaigns: what an audience member's code does at which events, for how long, how often.
//! Types and rules only.

use chrono::{DateTime, Utc};
use fullhouse_checkout::{Counting, DiscountKind};

use fullhouse_core::define_id;
use fullhouse_core::error::FieldError;
use fullhouse_ticketing::{EventId, ProductionId, TicketTypeId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::AudienceId;

define_id!(
    /// A campaign: audiences attached to events or productions with an effect.
    CampaignId, "cmp", "campaign"
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Active,
    Paused,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }

    pub fn parse(value: &str) -> Self {
        if value == "paused" {
            Self::Paused
        } else {
            Self::Active
        }
    }
}

/// Whether a code's quantity is counted for each event separately, or once across every event
/// of the campaign ("Limit once across all events").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitScope {
    #[default]
    PerEvent,
    AcrossEvents,
}

impl LimitScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerEvent => "per_event",
            Self::AcrossEvents => "across_events",
        }
    }

    pub fn parse(value: &str) -> Self {
        if value == "across_events" {
            Self::AcrossEvents
        } else {
            Self::PerEvent
        }
    }
}

/// How an order's use of a code counts against its quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UseCounting {
    /// One use per ticket (the default).
    #[default]
    PerTicket,
    /// One use per order, however many tickets.
    PerOrder,
}

impl UseCounting {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerTicket => "per_ticket",
            Self::PerOrder => "per_order",
        }
    }

    pub fn parse(value: &str) -> Self {
        if value == "per_order" {
            Self::PerOrder
        } else {
            Self::PerTicket
        }
    }

    pub fn to_checkout(self) -> Counting {
        match self {
            Self::PerTicket => Counting::PerTicket,
            Self::PerOrder => Counting::PerOrder,
        }
    }
}

/// A price reduction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DiscountRule {
    /// Percent off, 0.01 % precision (`percent: 25.5`).
    Percent { percent: f64 },
    /// A fixed amount off each ticket, in minor units.
    AmountOff { amount_minor: i64 },
    /// Each ticket costs this, in minor units.
    FixedPrice { price_minor: i64 },
}

impl DiscountRule {
    pub fn to_checkout(self) -> DiscountKind {
        match self {
            Self::Percent { percent } => DiscountKind::PercentBasisPoints(
                (percent * 100.0).round().clamp(0.0, 10_000.0) as u32,
            ),
            Self::AmountOff { amount_minor } => DiscountKind::AmountOffMinor(amount_minor),
            Self::FixedPrice { price_minor } => DiscountKind::FixedPriceMinor(price_minor),
        }
    }

    fn check(&self) -> Result<(), Problem> {
        let bad = |key: &'static str, reason: &str| Err(Problem::new("discount", key, reason));
        match *self {
            Self::Percent { percent } if !(0.0..=100.0).contains(&percent) || percent.is_nan() => {
                bad(
                    "campaigns-error-percent-range",
                    "percent must be between 0 and 100",
                )
            }
            Self::AmountOff { amount_minor } if amount_minor <= 0 => bad(
                "campaigns-error-amount-positive",
                "amount_minor must be more than 0",
            ),
            Self::FixedPrice { price_minor } if price_minor < 0 => bad(
                "campaigns-error-price-negative",
                "price_minor cannot be negative",
            ),
            _ => Ok(()),
        }
    }
}

/// What a campaign does. Effects combine: an access code can also be a discount.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Effects {
    /// A price reduction on the ticket types in `discount_ticket_types` (all when empty).
    #[serde(default)]
    pub discount: Option<DiscountRule>,
    #[serde(default)]
    pub discount_ticket_types: Vec<TicketTypeId>,
    /// Hidden ticket types the code makes buyable.
    #[serde(default)]
    pub unlock_ticket_types: Vec<TicketTypeId>,
    /// The member's Category unlocks hidden ticket types and held seats of that category.
    #[serde(default)]
    pub unlock_member_category: bool,
    /// The member's seat label is held back from open sale and buyable only with the code.
    #[serde(default)]
    pub unlock_member_seat: bool,
    /// Applies by itself to customers who are members (no code typed): a loyalty discount.
    #[serde(default)]
    pub loyalty: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    /// What buyers see beside the code, e.g. "Friends of the house".
    pub public_label: String,
    pub status: CampaignStatus,
    pub audience_ids: Vec<AudienceId>,
    /// The events it applies to (with those of `production_ids`).
    pub event_ids: Vec<EventId>,
    pub production_ids: Vec<ProductionId>,
    pub effects: Effects,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// The most tickets one order may use the campaign for.
    pub max_tickets_per_order: Option<u32>,
    pub limit_scope: LimitScope,
    pub counting: UseCounting,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub name: String,
    #[serde(default)]
    pub public_label: Option<String>,
    pub audience_ids: Vec<AudienceId>,
    #[serde(default)]
    pub event_ids: Vec<EventId>,
    #[serde(default)]
    pub production_ids: Vec<ProductionId>,
    #[serde(default)]
    pub effects: Effects,
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub max_tickets_per_order: Option<u32>,
    #[serde(default)]
    pub limit_scope: LimitScope,
    #[serde(default)]
    pub counting: Option<UseCounting>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    pub name: Option<String>,
    pub public_label: Option<String>,
    pub status: Option<CampaignStatus>,
    pub audience_ids: Option<Vec<AudienceId>>,
    pub event_ids: Option<Vec<EventId>>,
    pub production_ids: Option<Vec<ProductionId>>,
    pub effects: Option<Effects>,
    pub valid_from: Option<Option<DateTime<Utc>>>,
    pub valid_until: Option<Option<DateTime<Utc>>>,
    pub max_tickets_per_order: Option<Option<u32>>,
    pub limit_scope: Option<LimitScope>,
    pub counting: Option<UseCounting>,
}

/// The longest campaign name or public label.
pub const MAX_TEXT_LENGTH: usize = 200;
/// The years a campaign's validity may start or end in (the API's date-times have four-digit
/// years; a year 0 or -1 would break them).
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// One thing wrong with a campaign's definition or its form: the field it is beside, the
/// English reason (the API's), and the key of its plain-language text in the locale files
/// (`campaigns-error-…`), so that pages say it in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub field: String,
    pub reason: String,
    pub key: &'static str,
}

impl Problem {
    pub fn new(field: impl Into<String>, key: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            key,
        }
    }

    pub fn to_field_error(&self) -> FieldError {
        FieldError::new(self.field.clone(), self.reason.clone())
    }
}

fn out_of_range(field: &str, date: DateTime<Utc>) -> Option<Problem> {
    use chrono::Datelike;
    (!YEARS.contains(&date.year())).then(|| {
        Problem::new(
            field,
            "campaigns-error-year",
            format!(
                "is out of range; use a date in the years {} to {}",
                YEARS.start(),
                YEARS.end()
            ),
        )
    })
}

impl NewCampaign {
    /// Every problem of the definition at once.
    pub fn problems(&self) -> Vec<FieldError> {
        self.problem_list()
            .iter()
            .map(Problem::to_field_error)
            .collect()
    }

    /// Every problem of the definition at once, with the key of its text for pages.
    pub fn problem_list(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(Problem::new(
                "name",
                "campaigns-error-name-empty",
                "is empty; give the campaign a name",
            ));
        }
        let too_long = |field: &str, value: &str| {
            (value.trim().chars().count() > MAX_TEXT_LENGTH).then(|| {
                Problem::new(
                    field,
                    "campaigns-error-too-long",
                    format!("is too long; use at most {MAX_TEXT_LENGTH} characters"),
                )
            })
        };
        problems.extend(too_long("name", &self.name));
        problems.extend(too_long(
            "public_label",
            self.public_label.as_deref().unwrap_or_default(),
        ));
        for (field, date) in [
            ("valid_from", self.valid_from),
            ("valid_until", self.valid_until),
        ] {
            if let Some(problem) = date.and_then(|d| out_of_range(field, d)) {
                problems.push(problem);
            }
        }
        if self.audience_ids.is_empty() {
            problems.push(Problem::new(
                "audience_ids",
                "campaigns-error-no-audience",
                "choose at least one audience",
            ));
        }
        if self.event_ids.is_empty() && self.production_ids.is_empty() {
            problems.push(Problem::new(
                "event_ids",
                "campaigns-error-no-event",
                "choose at least one event or production the campaign applies to",
            ));
        }
        let e = &self.effects;
        let does_something = e.discount.is_some()
            || !e.unlock_ticket_types.is_empty()
            || e.unlock_member_category
            || e.unlock_member_seat;
        if !does_something {
            problems.push(Problem::new(
                "effects",
                "campaigns-error-does-nothing",
                "the campaign does nothing: give it a discount or something to unlock",
            ));
        }
        if e.loyalty && e.discount.is_none() {
            problems.push(Problem::new(
                "effects.loyalty",
                "campaigns-error-loyalty-discount",
                "a loyalty campaign needs a discount",
            ));
        }
        if let Some(Err(problem)) = e.discount.as_ref().map(DiscountRule::check) {
            problems.push(problem);
        }
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until) {
            if until <= from {
                problems.push(Problem::new(
                    "valid_until",
                    "campaigns-error-until-before-from",
                    "must be after valid_from",
                ));
            }
        }
        if self.max_tickets_per_order == Some(0) {
            problems.push(Problem::new(
                "max_tickets_per_order",
                "campaigns-error-per-order-zero",
                "must be at least 1 (or absent: no limit)",
            ));
        }
        problems
    }
}

pub use super::report::{CampaignReport, CodeReport};

pub use super::form::CampaignForm;

#[cfg(test)]
mod tests {
    use super::NewCampaign;

    fn campaign(changes: serde_json::Value) -> NewCampaign {
        let mut body = serde_json::json!({
            "name": "Presale",
            "audience_ids": [crate::model::AudienceId::generate().to_string()],
            "event_ids": [fullhouse_ticketing::EventId::generate().to_string()],
            "effects": {"discount": {"kind": "percent", "percent": 10.0}}
        });
        if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
            body.extend(changes.clone());
        }
        serde_json::from_value(body).expect("a campaign")
    }

    fn fields(new: &NewCampaign) -> Vec<String> {
        new.problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_long_name_or_label_and_dates_outside_1900_to_9999_are_field_errors() {
        assert_eq!(
            fields(&campaign(serde_json::json!({}))),
            Vec::<String>::new()
        );
        let long = "x".repeat(1024 * 1024);
        let new = campaign(serde_json::json!({"name": long, "public_label": long}));
        assert_eq!(fields(&new), ["name", "public_label"]);
        let new = campaign(serde_json::json!({
            "valid_from": "0000-01-01T00:00:00Z",
            "valid_until": "+10000-01-01T00:00:00Z"
        }));
        assert_eq!(fields(&new), ["valid_from", "valid_until"]);
    }
}
