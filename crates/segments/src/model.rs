//! Segments, their event filters, saved views and the dashboard's filters: types and rules, no I/O.
//! The pages' forms as typed, and their parsing into these types, are in [`form`].

pub mod form;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
pub use chrono_tz::Tz;
use fullhouse_core::error::FieldError;
use fullhouse_core::{define_id, Error, Result};
use fullhouse_ticketing::{EventId, ProductionId, VenueId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

define_id!(
    /// A customer segment.
    SegmentId, "seg", "segment"
);
define_id!(
    /// A saved view (a named set of filters) of a segment.
    ViewId, "view", "segment view"
);

/// The longest segment or view name.
pub const MAX_NAME_LEN: usize = 200;
/// The longest description.
pub const MAX_DESCRIPTION_LEN: usize = 2000;
/// How far back "days back" may reach: ten years.
pub const MAX_DAYS_BACK: u32 = 3650;
/// The most ids or categories one event filter may list.
pub const MAX_LIST_LEN: usize = 500;
/// The most filters one view may hold.
pub const MAX_FILTERS: usize = 50;
/// How many matching customers an answer shows.
pub const FIRST_CUSTOMERS: usize = 50;

/// Which events a segment reads: an event matches when it meets every criterion that is given
/// (any of the listed productions, any of the listed events, …). Nothing given matches every event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    #[serde(default)]
    pub production_ids: Vec<ProductionId>,
    #[serde(default)]
    pub event_ids: Vec<EventId>,
    #[serde(default)]
    pub venue_ids: Vec<VenueId>,
    /// Ticket-type categories (price zones); a customer counts through a ticket of one of them.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Events starting on or after this day (UTC).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Events starting on or before this day (UTC).
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

impl EventFilter {
    /// True when nothing narrows the events.
    pub fn is_empty(&self) -> bool {
        self.production_ids.is_empty()
            && self.event_ids.is_empty()
            && self.venue_ids.is_empty()
            && self.categories.is_empty()
            && self.from.is_none()
            && self.to.is_none()
    }

    fn check(&self, field: &str, problems: &mut Vec<FieldError>) {
        let lists = [
            ("production_ids", self.production_ids.len()),
            ("event_ids", self.event_ids.len()),
            ("venue_ids", self.venue_ids.len()),
            ("categories", self.categories.len()),
        ];
        for (name, len) in lists {
            if len > MAX_LIST_LEN {
                problems.push(FieldError::new(
                    format!("{field}.{name}"),
                    format!("may list at most {MAX_LIST_LEN} entries"),
                ));
            }
        }
        for (i, category) in self.categories.iter().enumerate() {
            if category.trim().is_empty() || category.chars().count() > 80 {
                problems.push(FieldError::new(
                    format!("{field}.categories[{i}]"),
                    "must be 1 to 80 characters",
                ));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                problems.push(FieldError::new(
                    format!("{field}.to"),
                    "must not be before `from`",
                ));
            }
        }
    }

    /// Does the event (and the ticket type's category) meet every criterion given? `from` and
    /// `to` are days on the organization's calendar (`zone`).
    pub fn matches(&self, event: &EventFacts, category: Option<&str>, zone: Tz) -> bool {
        let listed = |ids: &[String], id: &str| ids.is_empty() || ids.iter().any(|i| i == id);
        let day = local_date(event.starts_at, zone);
        listed(&ids(&self.production_ids), &event.production_id)
            && listed(&ids(&self.event_ids), &event.id)
            && listed(&ids(&self.venue_ids), &event.venue_id)
            && (self.categories.is_empty()
                || category.is_some_and(|c| self.categories.iter().any(|k| k == c)))
            && self.from.is_none_or(|from| day >= from)
            && self.to.is_none_or(|to| day <= to)
    }
}

fn ids<T: ToString>(list: &[T]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

/// What the index and the reference SQL know of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFacts {
    pub id: String,
    pub production_id: String,
    pub venue_id: String,
    pub starts_at: DateTime<Utc>,
}

/// The customers a segment holds: those with a valid ticket for an event the event filter
/// matches that is in the future or started at most `days_back` days ago, less those with a
/// ticket for an event the exclusion matches (at any time).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentDefinition {
    #[serde(default)]
    pub event_filter: EventFilter,
    /// Past events count when they started at most this many days before today.
    #[serde(default)]
    pub days_back: u32,
    /// Customers holding tickets for these events are left out.
    #[serde(default)]
    pub excluded: Option<EventFilter>,
}

impl SegmentDefinition {
    pub fn check(&self, problems: &mut Vec<FieldError>) {
        self.event_filter.check("event_filter", problems);
        if self.days_back > MAX_DAYS_BACK {
            problems.push(FieldError::new(
                "days_back",
                format!("must be at most {MAX_DAYS_BACK}"),
            ));
        }
        if let Some(excluded) = &self.excluded {
            excluded.check("excluded", problems);
        }
    }

    /// The first instant whose events count: the organization's midnight that starts the day
    /// `days_back` days before today.
    pub fn window_start(&self, today: NaiveDate, zone: Tz) -> DateTime<Utc> {
        day_start(
            today - chrono::Duration::days(i64::from(self.days_back)),
            zone,
        )
    }

    /// The exclusion, when it excludes anything: an empty exclusion would exclude every holder.
    pub fn effective_exclusion(&self) -> Option<&EventFilter> {
        self.excluded.as_ref().filter(|e| !e.is_empty())
    }
}

/// A segment as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Segment {
    pub id: SegmentId,
    pub name: String,
    pub description: Option<String>,
    #[serde(flatten)]
    pub definition: SegmentDefinition,
    /// Set when the segment was removed; a removed segment can be restored.
    pub removed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new segment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSegment {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub event_filter: EventFilter,
    #[serde(default)]
    pub days_back: u32,
    #[serde(default)]
    pub excluded: Option<EventFilter>,
}

/// A change of a segment: fields left out stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentPatch {
    pub name: Option<String>,
    /// `null` or `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub event_filter: Option<EventFilter>,
    pub days_back: Option<u32>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<EventFilter>)]
    pub excluded: Option<Option<EventFilter>>,
}

fn double_option<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The checked name and description of a segment or view.
pub fn check_name(field: &str, name: &str, problems: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    if name.is_empty() {
        problems.push(FieldError::new(field, "must not be empty"));
    } else if name.chars().count() > MAX_NAME_LEN {
        problems.push(FieldError::new(
            field,
            format!("must be at most {MAX_NAME_LEN} characters"),
        ));
    }
    name.to_string()
}

pub fn check_description(value: Option<String>, problems: &mut Vec<FieldError>) -> Option<String> {
    let value = value
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    if value
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_LEN)
    {
        problems.push(FieldError::new(
            "description",
            format!("must be at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    value
}

/// Turns collected problems into one validation error.
pub fn finish(problems: Vec<FieldError>) -> Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid_fields(problems))
    }
}

// ---------------------------------------------------------------------------------------------
// Dashboard filters.
// ---------------------------------------------------------------------------------------------

/// "≥ X" or "exactly X".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountMode {
    AtLeast,
    Exactly,
}

impl CountMode {
    pub fn accepts(self, value: u64, wanted: u64) -> bool {
        match self {
            CountMode::AtLeast => value >= wanted,
            CountMode::Exactly => value == wanted,
        }
    }
}

/// Include the customers who have it, or exclude them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Inclusion {
    Include,
    Exclude,
}

/// Women, men, both or all (all: no filter; customers of unknown gender stay in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GenderChoice {
    Women,
    Men,
    Both,
    All,
}

/// Online, box office, both (bought through each), all (no filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelChoice {
    Online,
    BoxOffice,
    Both,
    All,
}

/// Latest purchase within the last X days, exactly X days ago, or not within the last X days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecencyMode {
    Within,
    Exactly,
    NotWithin,
}

/// One filter of the segment dashboard. Each has its own count within the segment.
///
/// Every sales fact reads the customer's valid tickets of placed orders (of any event, not only
/// the segment's): tickets, distinct events, distinct orders, revenue (the tickets' prices),
/// latest purchase (the newest such order's day), channels and impulse (the fewest days between
/// an order's day and its event's day). Days are UTC calendar days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Filter {
    /// Age in whole years today, between `min` and `max`; customers of unknown age stay in.
    Age {
        min: Option<u32>,
        max: Option<u32>,
    },
    /// Gender as stored, else inferred from the title or the first name.
    Gender {
        gender: GenderChoice,
    },
    /// Bought a ticket `max_days` days or fewer before its event.
    Impulsive {
        max_days: u32,
    },
    Channel {
        channel: ChannelChoice,
    },
    Subscriber {
        subscriber: bool,
    },
    Tickets {
        count: u32,
        mode: CountMode,
    },
    Events {
        count: u32,
        mode: CountMode,
    },
    Orders {
        count: u32,
        mode: CountMode,
    },
    /// Revenue in minor units (øre, cents).
    Revenue {
        minor: u64,
        mode: CountMode,
    },
    LatestPurchase {
        days: u32,
        mode: RecencyMode,
    },
    /// A granted permission (consent), such as `newsletter`.
    Permission {
        permission: String,
        mode: Inclusion,
    },
    Tag {
        tag: String,
        mode: Inclusion,
    },
    /// Lives at most `max_km` from the venue (customers without coordinates are out). The
    /// distance is equirectangular around the venue's latitude: within a fraction of a percent
    /// of the great-circle distance at the scale of "who lives near the theatre", and the same
    /// arithmetic in the index and in SQL.
    Distance {
        venue_id: VenueId,
        max_km: f64,
    },
}

impl Filter {
    /// A short stable label for the dashboard and the bench.
    pub fn kind(&self) -> &'static str {
        match self {
            Filter::Age { .. } => "age",
            Filter::Gender { .. } => "gender",
            Filter::Impulsive { .. } => "impulsive",
            Filter::Channel { .. } => "channel",
            Filter::Subscriber { .. } => "subscriber",
            Filter::Tickets { .. } => "tickets",
            Filter::Events { .. } => "events",
            Filter::Orders { .. } => "orders",
            Filter::Revenue { .. } => "revenue",
            Filter::LatestPurchase { .. } => "latest_purchase",
            Filter::Permission { .. } => "permission",
            Filter::Tag { .. } => "tag",
            Filter::Distance { .. } => "distance",
        }
    }

    fn check(&self, field: &str, problems: &mut Vec<FieldError>) {
        let mut bad = |name: &str, reason: &str| {
            problems.push(FieldError::new(format!("{field}.{name}"), reason))
        };
        match self {
            Filter::Age { min, max } => {
                if min.is_some_and(|m| m > 150) {
                    bad("min", "must be at most 150");
                }
                if max.is_some_and(|m| m > 150) {
                    bad("max", "must be at most 150");
                }
                if let (Some(min), Some(max)) = (min, max) {
                    if min > max {
                        bad("max", "must not be below `min`");
                    }
                }
            }
            Filter::Impulsive { max_days } if *max_days > 3650 => {
                bad("max_days", "must be at most 3650")
            }
            Filter::LatestPurchase { days, .. } if *days > 36500 => {
                bad("days", "must be at most 36500")
            }
            Filter::Permission {
                permission: key, ..
            }
            | Filter::Tag { tag: key, .. }
                if key.trim().is_empty() || key.chars().count() > 80 =>
            {
                bad(
                    if matches!(self, Filter::Tag { .. }) {
                        "tag"
                    } else {
                        "permission"
                    },
                    "must be 1 to 80 characters",
                )
            }
            Filter::Distance { max_km, .. } if !(0.0..=20_000.0).contains(max_km) => {
                bad("max_km", "must be between 0 and 20000")
            }
            _ => {}
        }
    }
}

/// Checks a list of filters (a view, or a count request).
/// Checks `filters`, and writes tag and permission keys the way customers' keys are stored
/// (trimmed, lowercased: ` VIP ` finds the customers tagged `vip`), so the index and the
/// reference SQL compare stored keys with stored keys.
pub fn check_filters(filters: &mut [Filter], problems: &mut Vec<FieldError>) {
    if filters.len() > MAX_FILTERS {
        problems.push(FieldError::new(
            "filters",
            format!("may hold at most {MAX_FILTERS} filters"),
        ));
    }
    for (i, filter) in filters.iter_mut().enumerate() {
        let field = format!("filters[{i}]");
        filter.check(&field, problems);
        let (name, key) = match filter {
            Filter::Tag { tag, .. } => ("tag", tag),
            Filter::Permission { permission, .. } => ("permission", permission),
            _ => continue,
        };
        if key.trim().is_empty() || key.chars().count() > 80 {
            continue; // said by `check`
        }
        match fullhouse_ticketing::model::customers::key(&format!("{field}.{name}"), key) {
            Ok(stored) => *key = stored,
            Err(Error::Validation { fields, .. }) => problems.extend(fields),
            Err(_) => {}
        }
    }
}

/// "View for production" / "view for event": customers holding tickets for it are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewFor {
    pub production_id: Option<ProductionId>,
    pub event_id: Option<EventId>,
}

/// A count request: the segment refined by filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountRequest {
    #[serde(default)]
    pub filters: Vec<Filter>,
    #[serde(default, flatten)]
    pub view_for: ViewFor,
}

/// The count of one filter within the segment.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FilterCount {
    pub kind: String,
    pub count: u64,
}

/// One of the first matching customers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerSummary {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
}

/// What "fetch data" and every filter change answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SegmentCounts {
    /// Customers in the segment (after "view for"), before the filters.
    pub segment: u64,
    /// Customers matching the segment and every filter.
    pub total: u64,
    /// Per filter, in the request's order: customers of the segment that it lets through.
    pub filters: Vec<FilterCount>,
    /// The first matching customers (at most 50).
    pub customers: Vec<CustomerSummary>,
    /// How long the index took, in microseconds.
    pub micros: u64,
}

/// A saved view: the definition, not the members, so new customers appear by themselves.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SegmentView {
    pub id: ViewId,
    pub segment_id: SegmentId,
    pub name: String,
    pub filters: Vec<Filter>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new view, or a change of one (all fields given).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewView {
    pub name: String,
    #[serde(default)]
    pub filters: Vec<Filter>,
}

// ---------------------------------------------------------------------------------------------
// Facts derived per customer, shared by the index and its tests.
// ---------------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a UTC calendar day.
pub fn day_number(day: NaiveDate) -> i32 {
    day.num_days_from_ce() - 719_163
}

pub use fullhouse_ticketing::model::gender::{
    infer as infer_gender_with_basis, InferredGender, FEMALE_TITLES, MALE_TITLES,
};

/// The gender the dashboard filters by (see [`fullhouse_ticketing::model::gender`]). "other" is
/// neither women nor men; unknown stays unknown.
pub fn infer_gender(
    gender: Option<&str>,
    title: Option<&str>,
    first_name: Option<&str>,
) -> Option<InferredGender> {
    infer_gender_with_basis(gender, title, first_name).map(|inferred| inferred.gender)
}

/// Whole years from `birth` to `today`.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// The birth dates of people aged `min..=max` today, as an inclusive range of days:
/// older than `max` means born before `today - (max + 1) years` + 1 day.
pub fn birth_range(min: Option<u32>, max: Option<u32>, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let latest = match min {
        Some(min) => years_before(today, min),
        None => NaiveDate::MAX,
    };
    let earliest = match max {
        Some(max) => years_before(today, max + 1)
            .succ_opt()
            .unwrap_or(NaiveDate::MAX),
        None => NaiveDate::MIN,
    };
    (earliest, latest)
}

/// The same day `years` years earlier (29 February becomes 28 February).
fn years_before(today: NaiveDate, years: u32) -> NaiveDate {
    let year = today.year() - i32::try_from(years).unwrap_or(i32::MAX / 2);
    NaiveDate::from_ymd_opt(year, today.month(), today.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, today.month(), 28))
        .unwrap_or(NaiveDate::MIN)
}

/// The day `at` falls on in `zone`: "today", a purchase's day and an event's day are all read on
/// the organization's calendar, never UTC's (for Copenhagen, 23:30 UTC is already tomorrow).
pub fn local_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The first instant of `day` in `zone`. Where a clock change skips midnight, the day starts at
/// the first local time that exists (a skipped hour is at most a few hours long).
pub fn day_start(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=3)
        .find_map(|hour| {
            zone.from_local_datetime(&(midnight + chrono::Duration::hours(hour)))
                .earliest()
        })
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

/// An organization's time zone by its IANA name; an unknown name reads as UTC.
pub fn zone_named(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// Kilometres per degree of latitude.
pub const KM_PER_DEGREE: f64 = 111.195;

/// The squared equirectangular distance in km² from a venue at `(lat0, lon0)`, whose latitude's
/// cosine is `cos0`. Written as the SQL reference writes it, so both round the same way.
pub fn distance_squared(lat0: f64, lon0: f64, cos0: f64, lat: f64, lon: f64) -> f64 {
    let dy = (lat - lat0) * KM_PER_DEGREE;
    let dx = (lon - lon0) * (KM_PER_DEGREE * cos0);
    dy * dy + dx * dx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn age_counts_whole_years_and_the_birth_range_agrees() {
        let today = day("2026-11-23");
        assert_eq!(age_on(day("2000-11-23"), today), 26);
        assert_eq!(age_on(day("2000-11-24"), today), 25);
        let (earliest, latest) = birth_range(Some(25), Some(26), today);
        assert_eq!(latest, day("2001-11-23"));
        assert_eq!(earliest, day("1999-11-24"));
        for birth in [earliest, latest] {
            let age = age_on(birth, today);
            assert!((25..=26).contains(&age), "{birth} is {age}");
        }
        assert_eq!(age_on(earliest.pred_opt().expect("day"), today), 27);
        assert_eq!(age_on(latest.succ_opt().expect("day"), today), 24);
    }

    #[test]
    fn gender_comes_from_the_record_then_the_title_then_the_first_name() {
        assert_eq!(
            infer_gender(Some("male"), Some("Fru"), Some("Anne")),
            Some(InferredGender::Male)
        );
        assert_eq!(infer_gender(Some("other"), Some("Mr"), None), None);
        assert_eq!(
            infer_gender(None, Some(" Fru "), Some("Peter")),
            Some(InferredGender::Female)
        );
        assert_eq!(
            infer_gender(None, None, Some("Søren")),
            Some(InferredGender::Male)
        );
        assert_eq!(infer_gender(None, None, Some("Dominique")), None);
    }

    #[test]
    fn an_empty_event_filter_matches_every_event_and_a_category_needs_a_category() {
        let event = EventFacts {
            id: "evt_1".into(),
            production_id: "prd_1".into(),
            venue_id: "ven_1".into(),
            starts_at: Utc::now(),
        };
        assert!(EventFilter::default().matches(&event, None, Tz::UTC));
        let by_category = EventFilter {
            categories: vec!["A".into()],
            ..Default::default()
        };
        assert!(!by_category.matches(&event, None, Tz::UTC));
        assert!(by_category.matches(&event, Some("A"), Tz::UTC));
    }

    #[test]
    fn bad_filters_name_their_field() {
        let mut problems = Vec::new();
        check_filters(
            &mut [
                Filter::Age {
                    min: Some(40),
                    max: Some(30),
                },
                Filter::Tag {
                    tag: " ".into(),
                    mode: Inclusion::Include,
                },
            ],
            &mut problems,
        );
        let fields: Vec<_> = problems.iter().map(|p| p.field.clone()).collect();
        assert_eq!(fields, vec!["filters[0].max", "filters[1].tag"]);
    }

    #[test]
    fn tags_and_permissions_are_matched_as_customers_store_them() {
        let mut problems = Vec::new();
        let mut filters = [
            Filter::Tag {
                tag: " VIP ".into(),
                mode: Inclusion::Include,
            },
            Filter::Permission {
                permission: "Newsletter".into(),
                mode: Inclusion::Exclude,
            },
            Filter::Tag {
                tag: "not a key!".into(),
                mode: Inclusion::Include,
            },
        ];
        check_filters(&mut filters, &mut problems);
        assert!(matches!(&filters[0], Filter::Tag { tag, .. } if tag == "vip"));
        assert!(
            matches!(&filters[1], Filter::Permission { permission, .. } if permission == "newsletter")
        );
        let fields: Vec<_> = problems.iter().map(|p| p.field.clone()).collect();
        assert_eq!(fields, vec!["filters[2].tag"]);
    }

    #[test]
    fn today_and_day_boundaries_are_the_organizations() {
        let copenhagen = Tz::Europe__Copenhagen;
        // 23:30 UTC on 4 December is 00:30 on 5 December in Copenhagen.
        let late = Utc
            .with_ymd_and_hms(2026, 12, 4, 23, 30, 0)
            .single()
            .expect("time");
        assert_eq!(local_date(late, copenhagen), day("2026-12-05"));
        assert_eq!(local_date(late, Tz::UTC), day("2026-12-04"));
        // The organization's midnight, in winter and in summer.
        assert_eq!(
            day_start(day("2026-12-05"), copenhagen),
            Utc.with_ymd_and_hms(2026, 12, 4, 23, 0, 0)
                .single()
                .expect("time")
        );
        assert_eq!(
            day_start(day("2026-07-01"), copenhagen),
            Utc.with_ymd_and_hms(2026, 6, 30, 22, 0, 0)
                .single()
                .expect("time")
        );
        // A zone whose clocks skipped midnight (Havana, 2013-03-10 00:00 → 01:00) starts that
        // day at its first existing minute.
        let havana: Tz = "America/Havana".parse().expect("zone");
        assert_eq!(
            day_start(day("2013-03-10"), havana),
            Utc.with_ymd_and_hms(2013, 3, 10, 5, 0, 0)
                .single()
                .expect("time")
        );
        let definition = SegmentDefinition {
            days_back: 1,
            ..Default::default()
        };
        assert_eq!(
            definition.window_start(day("2026-12-05"), copenhagen),
            Utc.with_ymd_and_hms(2026, 12, 3, 23, 0, 0)
                .single()
                .expect("time")
        );
    }
}
