//! The campaign form: what a person typed, as typed, and the one place that turns it into a
//! definition. A value that is not a number (or not a date) is a problem on its field, never a
//! quiet default; and every problem comes back at once — the form's own (a number that is not
//! one) together with the definition's rules (no audience chosen) — so a person fixes them all
//! in one go instead of meeting them one submit at a time.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use fullhouse_core::money::parse_decimal_minor;
use fullhouse_core::Error;
use fullhouse_ticketing::{EventId, ProductionId, TicketTypeId};
use serde::Deserialize;

use super::model::{
    Campaign, CampaignPatch, DiscountRule, Effects, LimitScope, NewCampaign, Problem, UseCounting,
};
use crate::model::AudienceId;

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
    /// Hidden ticket types the code unlocks, ticked by name in the form.
    pub unlock_ticket_types: Vec<String>,
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

/// Collects the form's problems while it is read, so that one bad field does not hide the next.
#[derive(Default)]
struct Reading {
    problems: Vec<Problem>,
}

impl Reading {
    fn take<T>(&mut self, value: Result<T, Problem>) -> Option<T> {
        match value {
            Ok(value) => Some(value),
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }

    fn has(&self, field: &str) -> bool {
        self.problems.iter().any(|p| p.field == field)
    }
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

    /// The form of a saved campaign; its times on the organization's clock (`zone`).
    pub fn from_campaign(c: &Campaign, zone: Tz) -> Self {
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
            t.map(|t| t.with_timezone(&zone).format(FORM_TIME).to_string())
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
                .collect(),
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
            "unlock_ticket_types" => &self.unlock_ticket_types,
            _ => &self.production_ids,
        };
        values.iter().any(|v| v == id)
    }

    /// The definition the form describes, or every problem with it: the form's own (a number
    /// that is not one, an id that is not one) and the definition's rules
    /// ([`NewCampaign::problem_list`]) on the fields that could be read. Times are read on the
    /// organization's clock (`zone`), as the person typed them.
    pub fn check(&self, zone: Tz) -> Result<NewCampaign, Vec<Problem>> {
        let mut reading = Reading::default();
        let audience_ids = reading
            .take(parse_all(
                "audience_ids",
                &self.audience_ids,
                AudienceId::parse,
            ))
            .unwrap_or_default();
        let event_ids = reading
            .take(parse_all("event_ids", &self.event_ids, EventId::parse))
            .unwrap_or_default();
        let production_ids = reading
            .take(parse_all(
                "production_ids",
                &self.production_ids,
                ProductionId::parse,
            ))
            .unwrap_or_default();
        let unlock_ticket_types = reading
            .take(parse_all(
                "unlock_ticket_types",
                &self.unlock_ticket_types,
                TicketTypeId::parse,
            ))
            .unwrap_or_default();
        let discount = reading.take(self.discount()).flatten();
        let max_tickets_per_order = reading.take(self.max_tickets()).flatten();
        let limit_scope = reading
            .take(match self.limit_scope.as_str() {
                "" => Ok(LimitScope::default()),
                s if s == LimitScope::PerEvent.as_str() => Ok(LimitScope::PerEvent),
                s if s == LimitScope::AcrossEvents.as_str() => Ok(LimitScope::AcrossEvents),
                other => Err(Problem::new(
                    "limit_scope",
                    "campaigns-error-choice",
                    format!("`{other}` is neither per_event nor across_events"),
                )),
            })
            .unwrap_or_default();
        let counting = reading
            .take(match self.counting.as_str() {
                "" => Ok(UseCounting::default()),
                s if s == UseCounting::PerTicket.as_str() => Ok(UseCounting::PerTicket),
                s if s == UseCounting::PerOrder.as_str() => Ok(UseCounting::PerOrder),
                other => Err(Problem::new(
                    "counting",
                    "campaigns-error-choice",
                    format!("`{other}` is neither per_ticket nor per_order"),
                )),
            })
            .unwrap_or_default();
        let valid_from = reading
            .take(form_time("valid_from", &self.valid_from, zone))
            .flatten();
        let valid_until = reading
            .take(form_time("valid_until", &self.valid_until, zone))
            .flatten();
        let new = NewCampaign {
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
            valid_from,
            valid_until,
            max_tickets_per_order,
            limit_scope,
            counting: Some(counting),
        };
        // A rule about a field the form could not read would only repeat its problem (a
        // discount that is not a number is not also "a campaign that does nothing").
        let unread_discount = reading.has("discount_value") || reading.has("discount_kind");
        for problem in new.problem_list() {
            let repeats = reading.has(&problem.field)
                || (unread_discount && matches!(problem.field.as_str(), "effects" | "discount"))
                || (problem.field == "audience_ids" && reading.has("audience_ids"))
                || (problem.field == "event_ids"
                    && (reading.has("event_ids") || reading.has("production_ids")));
            if !repeats {
                reading.problems.push(problem);
            }
        }
        if reading.problems.is_empty() {
            Ok(new)
        } else {
            Err(reading.problems)
        }
    }

    /// [`Self::check`] as the service's error: every problem as a field error.
    pub fn definition(&self, zone: Tz) -> Result<NewCampaign, Error> {
        self.check(zone).map_err(|problems| {
            Error::invalid_fields(problems.iter().map(Problem::to_field_error).collect())
        })
    }

    /// The form as a change to an existing campaign: every field replaces the campaign's.
    pub fn patch(&self, zone: Tz) -> Result<CampaignPatch, Vec<Problem>> {
        let new = self.check(zone)?;
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

    fn discount(&self) -> Result<Option<DiscountRule>, Problem> {
        let value = self.discount_value.trim();
        let amount = |key: &'static str| {
            if value.is_empty() {
                return Err(Problem::new(
                    "discount_value",
                    "campaigns-error-amount-empty",
                    "is empty; give the amount",
                ));
            }
            parse_decimal_minor("discount_value", value).map_err(|_| {
                Problem::new(
                    "discount_value",
                    key,
                    format!("`{value}` is not an amount such as 125.50"),
                )
            })
        };
        Ok(match self.discount_kind.as_str() {
            "none" | "" => None,
            "percent" => Some(DiscountRule::Percent {
                percent: percent(value)?,
            }),
            "amount_off" => Some(DiscountRule::AmountOff {
                amount_minor: amount("campaigns-error-not-an-amount")?,
            }),
            "fixed_price" => Some(DiscountRule::FixedPrice {
                price_minor: amount("campaigns-error-not-an-amount")?,
            }),
            other => {
                return Err(Problem::new(
                    "discount_kind",
                    "campaigns-error-choice",
                    format!("`{other}` is not a kind of discount"),
                ))
            }
        })
    }

    fn max_tickets(&self) -> Result<Option<u32>, Problem> {
        let max = self.max_tickets_per_order.trim();
        if max.is_empty() {
            return Ok(None);
        }
        max.parse::<u32>().map(Some).map_err(|_| {
            Problem::new(
                "max_tickets_per_order",
                "campaigns-error-whole-number",
                format!("`{max}` is not a whole number"),
            )
        })
    }
}

/// How `<input type="datetime-local">` writes a time (on the organization's clock).
const FORM_TIME: &str = "%Y-%m-%dT%H:%M";

fn form_time(field: &'static str, raw: &str, zone: Tz) -> Result<Option<DateTime<Utc>>, Problem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(raw, FORM_TIME)
        .ok()
        // A time the clock skips (spring forward) reads as the first valid one after it.
        .and_then(|t| {
            zone.from_local_datetime(&t).earliest().or_else(|| {
                zone.from_local_datetime(&(t + chrono::Duration::hours(1)))
                    .earliest()
            })
        })
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or_else(|| {
            Problem::new(
                field,
                "campaigns-error-not-a-date",
                format!("`{raw}` is not a date and time such as 2027-03-01T10:00"),
            )
        })
}

/// A percentage such as `25` or `12,5`. `NaN` and `inf` parse as floats but are not numbers a
/// person means.
fn percent(raw: &str) -> Result<f64, Problem> {
    let bad = || {
        Problem::new(
            "discount_value",
            "campaigns-error-not-a-percent",
            format!("`{raw}` is not a number"),
        )
    };
    if raw.is_empty() {
        return Err(Problem::new(
            "discount_value",
            "campaigns-error-percent-empty",
            "is empty; give the percentage off",
        ));
    }
    let number = raw
        .trim_end_matches('%')
        .trim()
        .replace(',', ".")
        .parse::<f64>()
        .map_err(|_| bad())?;
    if number.is_finite() {
        Ok(number)
    } else {
        Err(bad())
    }
}

/// Ids from repeated form fields; one that is not an id is a problem on `field`.
fn parse_all<T>(
    field: &'static str,
    raw: &[String],
    parse: fn(&str) -> Result<T, Error>,
) -> Result<Vec<T>, Problem> {
    raw.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse(s).map_err(|_| {
                Problem::new(
                    field,
                    "campaigns-error-unknown-choice",
                    format!("`{s}` is not an id"),
                )
            })
        })
        .collect()
}

/// Minor units as the form shows them: `125.50`.
pub(crate) fn major(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (minor / 100).abs(), (minor % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::{major, CampaignForm};
    use crate::campaigns::model::{
        Campaign, CampaignId, CampaignStatus, DiscountRule, LimitScope, UseCounting,
    };
    use fullhouse_core::Error;

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
        match form.definition(chrono_tz::UTC) {
            Err(Error::Validation { fields, .. }) => match fields.as_slice() {
                [one] => (one.field.clone(), one.reason.clone()),
                more => panic!("one field error expected, got {more:?}"),
            },
            other => panic!("a validation error expected, got {other:?}"),
        }
    }

    #[test]
    fn the_campaign_form_reads_discounts_uses_and_dates() {
        let new = form().definition(chrono_tz::UTC).expect("definition");
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
        let new = full.definition(chrono_tz::UTC).expect("definition");
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
            // Without a discount it must unlock something (a rule the form checks too).
            unlock_member_seat: Some("on".into()),
            ..form()
        };
        assert_eq!(
            none.definition(chrono_tz::UTC)
                .expect("definition")
                .effects
                .discount,
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
        let new = form.definition(chrono_tz::UTC).expect("definition");
        let now = chrono::Utc::now();
        let campaign = Campaign {
            id: CampaignId::generate(),
            name: new.name.clone(),
            public_label: new.public_label.clone().unwrap_or_default(),
            status: CampaignStatus::Active,
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
        let again = CampaignForm::from_campaign(&campaign, chrono_tz::UTC);
        assert_eq!(again.discount_value, "99.05");
        assert_eq!(again.valid_until, "2027-12-31T23:59");
        assert!(again.checked("event_ids", &campaign.event_ids[0].to_string()));
        assert_eq!(
            format!(
                "{:?}",
                again.definition(chrono_tz::UTC).expect("definition")
            ),
            format!("{new:?}")
        );
        assert_eq!(major(-5), "-0.05");
    }

    #[test]
    fn three_mistakes_come_back_together_each_on_its_field_with_a_text_key() {
        let bad = CampaignForm {
            name: " ".into(),
            audience_ids: vec![],
            discount_value: "ten".into(),
            max_tickets_per_order: "two".into(),
            ..form()
        };
        let problems = bad.check(chrono_tz::UTC).expect_err("refused");
        let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.field.as_str(), p.key)).collect();
        assert_eq!(
            found,
            [
                ("discount_value", "campaigns-error-not-a-percent"),
                ("max_tickets_per_order", "campaigns-error-whole-number"),
                ("name", "campaigns-error-name-empty"),
                ("audience_ids", "campaigns-error-no-audience"),
            ],
            "a discount that is not a number is not also a campaign that does nothing"
        );
    }
}
