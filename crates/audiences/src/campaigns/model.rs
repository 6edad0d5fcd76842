//! Campaigns: what an audience member's code does at which events, for how long, how often.
//! Types and rules only.

use chrono::{DateTime, NaiveDateTime, Utc};
use fullhouse_checkout::{Counting, DiscountKind};

use fullhouse_core::define_id;
use fullhouse_core::error::FieldError;
use fullhouse_core::money::parse_decimal_minor;
use fullhouse_core::Error;
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

    fn check(&self) -> Result<(), FieldError> {
        let bad = |reason: &str| Err(FieldError::new("discount", reason.to_string()));
        match *self {
            Self::Percent { percent } if !(0.0..=100.0).contains(&percent) || percent.is_nan() => {
                bad("percent must be between 0 and 100")
            }
            Self::AmountOff { amount_minor } if amount_minor <= 0 => {
                bad("amount_minor must be more than 0")
            }
            Self::FixedPrice { price_minor } if price_minor < 0 => {
                bad("price_minor cannot be negative")
            }
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

fn out_of_range(field: &str, date: DateTime<Utc>) -> Option<FieldError> {
    use chrono::Datelike;
    (!YEARS.contains(&date.year())).then(|| {
        FieldError::new(
            field,
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
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(FieldError::new(
                "name",
                "is empty; give the campaign a name",
            ));
        }
        let too_long = |field: &str, value: &str| {
            (value.trim().chars().count() > MAX_TEXT_LENGTH).then(|| {
                FieldError::new(
                    field,
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
            problems.push(FieldError::new(
                "audience_ids",
                "choose at least one audience",
            ));
        }
        if self.event_ids.is_empty() && self.production_ids.is_empty() {
            problems.push(FieldError::new(
                "event_ids",
                "choose at least one event or production the campaign applies to",
            ));
        }
        let e = &self.effects;
        let does_something = e.discount.is_some()
            || !e.unlock_ticket_types.is_empty()
            || e.unlock_member_category
            || e.unlock_member_seat;
        if !does_something {
            problems.push(FieldError::new(
                "effects",
                "the campaign does nothing: give it a discount or something to unlock",
            ));
        }
        if e.loyalty && e.discount.is_none() {
            problems.push(FieldError::new(
                "effects.loyalty",
                "a loyalty campaign needs a discount",
            ));
        }
        if let Some(Err(problem)) = e.discount.as_ref().map(DiscountRule::check) {
            problems.push(problem);
        }
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until) {
            if until <= from {
                problems.push(FieldError::new("valid_until", "must be after valid_from"));
            }
        }
        if self.max_tickets_per_order == Some(0) {
            problems.push(FieldError::new(
                "max_tickets_per_order",
                "must be at least 1 (or absent: no limit)",
            ));
        }
        problems
    }
}

pub use super::report::{CampaignReport, CodeReport};

// ---------------------------------------------------------------------------------------------
// The campaign form: what a person typed, as typed, and the one place that turns it into a
// definition. A value that is not a number (or not a date) is an error on its field, never a
// quiet default.

/// The campaign form as posted: checkboxes repeat their names (`audience_ids=a&audience_ids=b`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    pub name: String,
    pub public_label: String,
    pub audience_ids: Vec<String>,
    pub event_ids: Vec<String>,
    pub production_ids: Vec<String>,
    /// `none`, `percent`, `amount_off` or `fixed_price`.
    pub discount_kind: String,
    /// Percent, or an amount in major units (125.50 or 125,50).
    pub discount_value: String,
    /// Hidden ticket type ids the code unlocks, separated by spaces or commas.
    pub unlock_ticket_types: String,
    pub unlock_member_category: Option<String>,
    pub unlock_member_seat: Option<String>,
    pub loyalty: Option<String>,
    /// `YYYY-MM-DDTHH:MM`, as `<input type="datetime-local">` sends it; empty is open.
    pub valid_from: String,
    pub valid_until: String,
    pub max_tickets_per_order: String,
    /// `per_event` or `across_events`.
    pub limit_scope: String,
    /// `per_ticket` or `per_order`.
    pub counting: String,
}

impl CampaignForm {
    /// The form for a new campaign.
    pub fn start() -> Self {
        CampaignForm {
            discount_kind: "percent".into(),
            limit_scope: LimitScope::PerEvent.as_str().into(),
            counting: UseCounting::PerTicket.as_str().into(),
            ..CampaignForm::default()
        }
    }

    pub fn from_campaign(c: &Campaign) -> Self {
        let (discount_kind, discount_value) = match c.effects.discount {
            None => ("none".to_string(), String::new()),
            Some(DiscountRule::Percent { percent }) => ("percent".into(), format!("{percent}")),
            Some(DiscountRule::AmountOff { amount_minor }) => {
                ("amount_off".into(), major(amount_minor))
            }
            Some(DiscountRule::FixedPrice { price_minor }) => {
                ("fixed_price".into(), major(price_minor))
            }
        };
        let local = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.format(FORM_TIME).to_string())
                .unwrap_or_default()
        };
        CampaignForm {
            name: c.name.clone(),
            public_label: c.public_label.clone(),
            audience_ids: c.audience_ids.iter().map(|a| a.to_string()).collect(),
            event_ids: c.event_ids.iter().map(|e| e.to_string()).collect(),
            production_ids: c.production_ids.iter().map(|p| p.to_string()).collect(),
            discount_kind,
            discount_value,
            unlock_ticket_types: c
                .effects
                .unlock_ticket_types
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            unlock_member_category: c.effects.unlock_member_category.then(|| "on".into()),
            unlock_member_seat: c.effects.unlock_member_seat.then(|| "on".into()),
            loyalty: c.effects.loyalty.then(|| "on".into()),
            valid_from: local(c.valid_from),
            valid_until: local(c.valid_until),
            max_tickets_per_order: c
                .max_tickets_per_order
                .map(|n| n.to_string())
                .unwrap_or_default(),
            limit_scope: c.limit_scope.as_str().into(),
            counting: c.counting.as_str().into(),
        }
    }

    /// Whether the checkbox `id` of the list `list` is ticked.
    pub fn checked(&self, list: &str, id: &str) -> bool {
        let values = match list {
            "audience_ids" => &self.audience_ids,
            "event_ids" => &self.event_ids,
            _ => &self.production_ids,
        };
        values.iter().any(|v| v == id)
    }

    /// The definition the form describes. The form's own problems (a number that is not one,
    /// an id that is not one) come back as errors on their fields; the definition's rules are
    /// [`NewCampaign::problems`], checked by the service.
    pub fn definition(&self) -> Result<NewCampaign, Error> {
        let audience_ids = parse_all("audience_ids", &self.audience_ids, AudienceId::parse)?;
        let event_ids = parse_all("event_ids", &self.event_ids, EventId::parse)?;
        let production_ids =
            parse_all("production_ids", &self.production_ids, ProductionId::parse)?;
        let value = self.discount_value.trim();
        let discount = match self.discount_kind.as_str() {
            "none" | "" => None,
            "percent" => Some(DiscountRule::Percent {
                percent: percent(value)?,
            }),
            "amount_off" => Some(DiscountRule::AmountOff {
                amount_minor: parse_decimal_minor("discount_value", value)?,
            }),
            "fixed_price" => Some(DiscountRule::FixedPrice {
                price_minor: parse_decimal_minor("discount_value", value)?,
            }),
            other => {
                return Err(Error::invalid(
                    "discount_kind",
                    format!("`{other}` is not a kind of discount"),
                ))
            }
        };
        let unlock_ticket_types = self
            .unlock_ticket_types
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(|t| {
                TicketTypeId::parse(t).map_err(|_| {
                    Error::invalid(
                        "unlock_ticket_types",
                        format!("`{t}` is not a ticket type id"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max = self.max_tickets_per_order.trim();
        let max_tickets_per_order = if max.is_empty() {
            None
        } else {
            Some(max.parse::<u32>().map_err(|_| {
                Error::invalid_because(
                    "max_tickets_per_order",
                    fullhouse_core::Problem::NotAWholeNumber,
                    format!("`{max}` is not a whole number"),
                )
            })?)
        };
        let limit_scope = match self.limit_scope.as_str() {
            "" => LimitScope::default(),
            s if s == LimitScope::PerEvent.as_str() => LimitScope::PerEvent,
            s if s == LimitScope::AcrossEvents.as_str() => LimitScope::AcrossEvents,
            other => {
                return Err(Error::invalid(
                    "limit_scope",
                    format!("`{other}` is neither per_event nor across_events"),
                ))
            }
        };
        let counting = match self.counting.as_str() {
            "" => UseCounting::default(),
            s if s == UseCounting::PerTicket.as_str() => UseCounting::PerTicket,
            s if s == UseCounting::PerOrder.as_str() => UseCounting::PerOrder,
            other => {
                return Err(Error::invalid(
                    "counting",
                    format!("`{other}` is neither per_ticket nor per_order"),
                ))
            }
        };
        Ok(NewCampaign {
            name: self.name.clone(),
            public_label: Some(self.public_label.clone()),
            audience_ids,
            event_ids,
            production_ids,
            effects: Effects {
                discount,
                discount_ticket_types: Vec::new(),
                unlock_ticket_types,
                unlock_member_category: self.unlock_member_category.is_some(),
                unlock_member_seat: self.unlock_member_seat.is_some(),
                loyalty: self.loyalty.is_some(),
            },
            valid_from: form_time("valid_from", &self.valid_from)?,
            valid_until: form_time("valid_until", &self.valid_until)?,
            max_tickets_per_order,
            limit_scope,
            counting: Some(counting),
        })
    }

    /// The form as a change to an existing campaign: every field replaces the campaign's.
    pub fn patch(&self) -> Result<CampaignPatch, Error> {
        let new = self.definition()?;
        Ok(CampaignPatch {
            name: Some(new.name),
            public_label: new.public_label,
            status: None,
            audience_ids: Some(new.audience_ids),
            event_ids: Some(new.event_ids),
            production_ids: Some(new.production_ids),
            effects: Some(new.effects),
            valid_from: Some(new.valid_from),
            valid_until: Some(new.valid_until),
            max_tickets_per_order: Some(new.max_tickets_per_order),
            limit_scope: Some(new.limit_scope),
            counting: new.counting,
        })
    }
}

/// How `<input type="datetime-local">` writes a time (read as UTC).
const FORM_TIME: &str = "%Y-%m-%dT%H:%M";

fn form_time(field: &'static str, raw: &str) -> Result<Option<DateTime<Utc>>, Error> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(raw, FORM_TIME)
        .map(|t| Some(t.and_utc()))
        .map_err(|_| {
            Error::invalid(
                field,
                format!("`{raw}` is not a date and time such as 2027-03-01T10:00"),
            )
        })
}

/// A percentage such as `25` or `12,5`. `NaN` and `inf` parse as floats but are not numbers a
/// person means.
fn percent(raw: &str) -> Result<f64, Error> {
    let bad = || Error::invalid("discount_value", format!("`{raw}` is not a number"));
    if raw.is_empty() {
        return Err(Error::invalid(
            "discount_value",
            "is empty; give the percentage off",
        ));
    }
    let number = raw.replace(',', ".").parse::<f64>().map_err(|_| bad())?;
    if number.is_finite() {
        Ok(number)
    } else {
        Err(bad())
    }
}

/// Ids from repeated form fields; one that is not an id is an error on `field`.
fn parse_all<T>(
    field: &'static str,
    raw: &[String],
    parse: fn(&str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    raw.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(|_| Error::invalid(field, format!("`{s}` is not an id"))))
        .collect()
}

/// Minor units as the form shows them: `125.50`.
fn major(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (minor / 100).abs(), (minor % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::{CampaignForm, DiscountRule, LimitScope, NewCampaign, UseCounting};
    use fullhouse_core::Error;

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

    fn form() -> CampaignForm {
        CampaignForm {
            name: "Presale".into(),
            audience_ids: vec![crate::model::AudienceId::generate().to_string()],
            event_ids: vec![fullhouse_ticketing::EventId::generate().to_string()],
            discount_value: "10".into(),
            ..CampaignForm::start()
        }
    }

    /// The field a refused form value is reported on, and its reason.
    fn refusal(form: &CampaignForm) -> (String, String) {
        match form.definition() {
            Err(Error::Validation { fields, .. }) => match fields.as_slice() {
                [one] => (one.field.clone(), one.reason.clone()),
                more => panic!("one field error expected, got {more:?}"),
            },
            other => panic!("a validation error expected, got {other:?}"),
        }
    }

    #[test]
    fn the_campaign_form_reads_discounts_uses_and_dates() {
        let new = form().definition().expect("definition");
        assert_eq!(
            new.effects.discount,
            Some(DiscountRule::Percent { percent: 10.0 })
        );
        assert_eq!(new.max_tickets_per_order, None);
        assert_eq!(new.valid_from, None);
        let full = CampaignForm {
            discount_kind: "amount_off".into(),
            discount_value: "125,5".into(),
            max_tickets_per_order: " 4 ".into(),
            valid_from: "2027-03-01T10:00".into(),
            limit_scope: "across_events".into(),
            counting: "per_order".into(),
            ..form()
        };
        let new = full.definition().expect("definition");
        assert_eq!(
            new.effects.discount,
            Some(DiscountRule::AmountOff {
                amount_minor: 12550
            })
        );
        assert_eq!(new.max_tickets_per_order, Some(4));
        assert_eq!(
            new.valid_from.map(|t| t.to_rfc3339()),
            Some("2027-03-01T10:00:00+00:00".into())
        );
        assert_eq!(new.limit_scope, LimitScope::AcrossEvents);
        assert_eq!(new.counting, Some(UseCounting::PerOrder));
        let none = CampaignForm {
            discount_kind: "none".into(),
            discount_value: "ignored".into(),
            ..form()
        };
        assert_eq!(
            none.definition().expect("definition").effects.discount,
            None
        );
    }

    #[test]
    fn a_campaign_form_value_that_is_not_a_number_is_an_error_on_its_field() {
        for (kind, value) in [
            ("percent", "ten"),
            ("percent", "NaN"),
            ("percent", "inf"),
            ("percent", ""),
            ("amount_off", "12.345"),
            ("fixed_price", "cheap"),
        ] {
            let bad = CampaignForm {
                discount_kind: kind.into(),
                discount_value: value.into(),
                ..form()
            };
            assert_eq!(refusal(&bad).0, "discount_value", "{kind} {value:?}");
        }
        let uses = CampaignForm {
            max_tickets_per_order: "four".into(),
            ..form()
        };
        assert_eq!(
            refusal(&uses),
            (
                "max_tickets_per_order".into(),
                "`four` is not a whole number".into()
            )
        );
        let negative = CampaignForm {
            max_tickets_per_order: "-1".into(),
            ..form()
        };
        assert_eq!(refusal(&negative).0, "max_tickets_per_order");
        let date = CampaignForm {
            valid_until: "next friday".into(),
            ..form()
        };
        assert_eq!(refusal(&date).0, "valid_until");
        let scope = CampaignForm {
            limit_scope: "sometimes".into(),
            ..form()
        };
        assert_eq!(refusal(&scope).0, "limit_scope");
        let ids = CampaignForm {
            event_ids: vec!["evt_nope".into()],
            ..form()
        };
        assert_eq!(refusal(&ids).0, "event_ids");
    }

    #[test]
    fn a_saved_campaign_reads_back_into_a_form_that_gives_the_same_definition() {
        let form = CampaignForm {
            public_label: "Friends".into(),
            discount_kind: "fixed_price".into(),
            discount_value: "99.05".into(),
            unlock_member_seat: Some("on".into()),
            max_tickets_per_order: "2".into(),
            valid_until: "2027-12-31T23:59".into(),
            limit_scope: "across_events".into(),
            ..form()
        };
        let new = form.definition().expect("definition");
        let now = chrono::Utc::now();
        let campaign = super::Campaign {
            id: super::CampaignId::generate(),
            name: new.name.clone(),
            public_label: new.public_label.clone().unwrap_or_default(),
            status: super::CampaignStatus::Active,
            audience_ids: new.audience_ids.clone(),
            event_ids: new.event_ids.clone(),
            production_ids: new.production_ids.clone(),
            effects: new.effects.clone(),
            valid_from: new.valid_from,
            valid_until: new.valid_until,
            max_tickets_per_order: new.max_tickets_per_order,
            limit_scope: new.limit_scope,
            counting: new.counting.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        let again = CampaignForm::from_campaign(&campaign);
        assert_eq!(again.discount_value, "99.05");
        assert_eq!(again.valid_until, "2027-12-31T23:59");
        assert!(again.checked("event_ids", &campaign.event_ids[0].to_string()));
        assert_eq!(
            format!("{:?}", again.definition().expect("definition")),
            format!("{new:?}")
        );
        assert_eq!(super::major(-5), "-0.05");
    }
}
