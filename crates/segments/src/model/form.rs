//! The segment pages' forms as a person types them, and their parsing into the model's values:
//! the create/edit form into a [`SegmentDefinition`], the dashboard's filter form into a
//! [`CountRequest`].
//!
//! Why a file of `model` (and not of `pages`): what a typed-in "30" or "abc" means is a rule of
//! segments, not of HTML, so it lives with the model and is unit-tested without a server; the
//! pages only render the forms and show the errors. Why its own file: `model.rs` already holds
//! the definitions, the filters and the facts the index derives (over 800 lines), and the forms
//! are a seam of their own — strings in, model values or field errors out. Nothing here knows
//! axum or askama.
//!
//! Every field keeps the text as typed (`String`), so a refused value is shown back as typed.
//! A value that is not a number is refused with its field named `<filter row>.<form field>`
//! (e.g. `latest_purchase.latest_days`): the row says which filter, the last part matches the
//! form's field so the page shows the reason beside it. An empty number field means what the
//! page shows in it when it is empty (the defaults below), never a value the person did not
//! see.

use std::str::FromStr;

use chrono::NaiveDate;
use fullhouse_core::error::FieldError;
use fullhouse_core::Error;
use fullhouse_ticketing::{EventId, ProductionId, VenueId};
use serde::Deserialize;

use super::{
    ChannelChoice, CountMode, CountRequest, EventFilter, Filter, GenderChoice, Inclusion,
    RecencyMode, Segment, SegmentDefinition, ViewFor,
};

/// The dashboard's defaults: what its fields show when the form has no value for them.
pub const DEFAULT_IMPULSIVE_DAYS: u32 = 7;
pub const DEFAULT_COUNT: u32 = 1;
pub const DEFAULT_REVENUE: u64 = 1;
pub const DEFAULT_LATEST_DAYS: u32 = 30;
pub const DEFAULT_DISTANCE_KM: u32 = 25;

/// The English reason for a number field that holds something else (pages translate it by its
/// kind, [`Problem::NotAWholeNumber`](fullhouse_core::Problem::NotAWholeNumber)).
const NOT_A_NUMBER: &str = "must be a whole number (0 or more)";

const NOT_A_CHOICE: &str = "is not one of the choices";

/// The problems of one form, collected so every bad field is marked at once.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    /// The whole number typed into `field` of the filter row `row`; `None` when left empty or
    /// when it is not a number (then the problem is recorded, with the text as typed).
    fn number<T: FromStr>(&mut self, row: &str, field: &str, text: &str) -> Option<T> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse() {
            Ok(number) => Some(number),
            Err(_) => {
                self.0.push(
                    FieldError::new(
                        format!("{row}.{field}"),
                        format!("{NOT_A_NUMBER}, not `{text}`"),
                    )
                    .because(fullhouse_core::Problem::NotAWholeNumber)
                    .with_value(text),
                );
                None
            }
        }
    }

    /// The id chosen in the select `field`; `None` when nothing is chosen or the value is no
    /// id of that kind (then the problem is recorded).
    fn choice<T>(
        &mut self,
        field: &str,
        text: &str,
        parse: impl Fn(&str) -> Result<T, Error>,
    ) -> Option<T> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match parse(text) {
            Ok(id) => Some(id),
            Err(_) => {
                self.0.push(FieldError {
                    value: Some(text.to_string()),
                    ..FieldError::new(field, NOT_A_CHOICE)
                });
                None
            }
        }
    }

    /// The parsed value, or every problem as one validation error.
    fn finish<T>(self, value: T) -> Result<T, Error> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Error::invalid_fields(self.0))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The create and edit form.
// ---------------------------------------------------------------------------------------------

/// The segment form as typed: one production, venue and excluded production each (the API
/// takes lists), categories comma-separated.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SegmentForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub days_back: String,
    #[serde(default)]
    pub production_id: String,
    #[serde(default)]
    pub venue_id: String,
    #[serde(default)]
    pub categories: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub excluded_production_id: String,
    /// Set by the "fetch data" button: count, do not save.
    #[serde(default)]
    pub fetch: String,
}

impl SegmentForm {
    /// The form showing `segment`.
    pub fn of(segment: &Segment) -> Self {
        let d = &segment.definition;
        let first = |ids: Vec<String>| ids.into_iter().next().unwrap_or_default();
        Self {
            name: segment.name.clone(),
            description: segment.description.clone().unwrap_or_default(),
            days_back: d.days_back.to_string(),
            production_id: first(
                d.event_filter
                    .production_ids
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
            ),
            venue_id: first(
                d.event_filter
                    .venue_ids
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
            ),
            categories: d.event_filter.categories.join(", "),
            from: d
                .event_filter
                .from
                .map(|d| d.to_string())
                .unwrap_or_default(),
            to: d.event_filter.to.map(|d| d.to_string()).unwrap_or_default(),
            excluded_production_id: d
                .excluded
                .as_ref()
                .map(|e| first(e.production_ids.iter().map(|p| p.to_string()).collect()))
                .unwrap_or_default(),
            fetch: String::new(),
        }
    }

    /// The definition the form describes; bad fields come back as one validation error.
    pub fn definition(&self) -> Result<SegmentDefinition, Error> {
        let mut problems = Problems::default();
        let days_back = match self.days_back.trim() {
            "" => 0,
            text => text.parse().unwrap_or_else(|_| {
                problems.0.push(
                    FieldError::new("days_back", format!("{NOT_A_NUMBER}, not `{text}`"))
                        .because(fullhouse_core::Problem::NotAWholeNumber)
                        .with_value(text),
                );
                0
            }),
        };
        let from = problems.date("event_filter.from", &self.from);
        let to = problems.date("event_filter.to", &self.to);
        let production_ids =
            problems.choice("production_id", &self.production_id, ProductionId::parse);
        let venue_ids = problems.choice("venue_id", &self.venue_id, VenueId::parse);
        let excluded = problems.choice(
            "excluded_production_id",
            &self.excluded_production_id,
            ProductionId::parse,
        );
        problems.finish(SegmentDefinition {
            event_filter: EventFilter {
                production_ids: production_ids.into_iter().collect(),
                venue_ids: venue_ids.into_iter().collect(),
                categories: self
                    .categories
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect(),
                from,
                to,
                ..Default::default()
            },
            days_back,
            excluded: excluded.map(|production| EventFilter {
                production_ids: vec![production],
                ..Default::default()
            }),
        })
    }
}

impl Problems {
    /// A date typed as `YYYY-MM-DD` (what `<input type=date>` sends); `None` when empty.
    fn date(&mut self, field: &str, text: &str) -> Option<NaiveDate> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                self.0.push(FieldError {
                    value: Some(text.to_string()),
                    ..FieldError::new(field, "must be a date (YYYY-MM-DD)")
                });
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The dashboard's filter form.
// ---------------------------------------------------------------------------------------------

/// The dashboard's filters as the form sends them: a checkbox turns each numeric filter on, a
/// select without a choice (or a text left empty) leaves its filter off.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DashboardForm {
    /// The saved view open on the dashboard (saving again replaces it).
    #[serde(default)]
    pub view: String,
    #[serde(default)]
    pub for_production: String,
    #[serde(default)]
    pub for_event: String,
    #[serde(default)]
    pub age_on: String,
    #[serde(default)]
    pub age_min: String,
    #[serde(default)]
    pub age_max: String,
    #[serde(default)]
    pub gender: String,
    #[serde(default)]
    pub impulsive_on: String,
    #[serde(default)]
    pub impulsive_days: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub subscriber: String,
    #[serde(default)]
    pub tickets_on: String,
    #[serde(default)]
    pub tickets: String,
    #[serde(default)]
    pub tickets_mode: String,
    #[serde(default)]
    pub events_on: String,
    #[serde(default)]
    pub events: String,
    #[serde(default)]
    pub events_mode: String,
    #[serde(default)]
    pub orders_on: String,
    #[serde(default)]
    pub orders: String,
    #[serde(default)]
    pub orders_mode: String,
    #[serde(default)]
    pub revenue_on: String,
    #[serde(default)]
    pub revenue: String,
    #[serde(default)]
    pub revenue_mode: String,
    #[serde(default)]
    pub latest_on: String,
    #[serde(default)]
    pub latest_days: String,
    #[serde(default)]
    pub latest_mode: String,
    #[serde(default)]
    pub permission: String,
    #[serde(default)]
    pub permission_mode: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub tag_mode: String,
    #[serde(default)]
    pub distance_on: String,
    #[serde(default)]
    pub distance_venue: String,
    #[serde(default)]
    pub distance_km: String,
    /// The name to save the filters under (the "save view" button).
    #[serde(default)]
    pub view_name: String,
}

/// The dashboard's number fields, each with the filter row it belongs to: the fields a
/// problem can be shown beside.
pub const DASHBOARD_NUMBER_FIELDS: &[(&str, &str)] = &[
    ("age", "age_min"),
    ("age", "age_max"),
    ("impulsive", "impulsive_days"),
    ("tickets", "tickets"),
    ("events", "events"),
    ("orders", "orders"),
    ("revenue", "revenue"),
    ("latest_purchase", "latest_days"),
    ("distance", "distance_km"),
];

/// A checkbox is on when the form sends it at all.
fn on(text: &str) -> bool {
    !text.is_empty()
}

fn count_mode(text: &str) -> CountMode {
    if text == "exactly" {
        CountMode::Exactly
    } else {
        CountMode::AtLeast
    }
}

fn inclusion(text: &str) -> Inclusion {
    if text == "exclude" {
        Inclusion::Exclude
    } else {
        Inclusion::Include
    }
}

impl DashboardForm {
    /// The count the form asks for: its filters and its "view for" choices.
    pub fn count_request(&self) -> Result<CountRequest, Error> {
        let mut problems = Problems::default();
        let filters = self.read_filters(&mut problems);
        let view_for = ViewFor {
            production_id: problems.choice(
                "view_for.for_production",
                &self.for_production,
                ProductionId::parse,
            ),
            event_id: problems.choice("view_for.for_event", &self.for_event, EventId::parse),
        };
        problems.finish(CountRequest { filters, view_for })
    }

    /// The filters the form turns on, in the dashboard's order (what a saved view keeps).
    /// Numbers out of range are kept as typed and refused by the service with the filter
    /// named; text that is not a number is refused here.
    pub fn filters(&self) -> Result<Vec<Filter>, Error> {
        let mut problems = Problems::default();
        let filters = self.read_filters(&mut problems);
        problems.finish(filters)
    }

    fn read_filters(&self, problems: &mut Problems) -> Vec<Filter> {
        let mut filters = Vec::new();
        if on(&self.age_on) {
            filters.push(Filter::Age {
                min: problems.number("age", "age_min", &self.age_min),
                max: problems.number("age", "age_max", &self.age_max),
            });
        }
        let gender = match self.gender.as_str() {
            "women" => Some(GenderChoice::Women),
            "men" => Some(GenderChoice::Men),
            "both" => Some(GenderChoice::Both),
            _ => None,
        };
        if let Some(gender) = gender {
            filters.push(Filter::Gender { gender });
        }
        if on(&self.impulsive_on) {
            let max_days = problems.number("impulsive", "impulsive_days", &self.impulsive_days);
            filters.push(Filter::Impulsive {
                max_days: max_days.unwrap_or(DEFAULT_IMPULSIVE_DAYS),
            });
        }
        let channel = match self.channel.as_str() {
            "online" => Some(ChannelChoice::Online),
            "box_office" => Some(ChannelChoice::BoxOffice),
            "both" => Some(ChannelChoice::Both),
            _ => None,
        };
        if let Some(channel) = channel {
            filters.push(Filter::Channel { channel });
        }
        match self.subscriber.as_str() {
            "yes" => filters.push(Filter::Subscriber { subscriber: true }),
            "no" => filters.push(Filter::Subscriber { subscriber: false }),
            _ => {}
        }
        if on(&self.tickets_on) {
            filters.push(Filter::Tickets {
                count: problems
                    .number("tickets", "tickets", &self.tickets)
                    .unwrap_or(DEFAULT_COUNT),
                mode: count_mode(&self.tickets_mode),
            });
        }
        if on(&self.events_on) {
            filters.push(Filter::Events {
                count: problems
                    .number("events", "events", &self.events)
                    .unwrap_or(DEFAULT_COUNT),
                mode: count_mode(&self.events_mode),
            });
        }
        if on(&self.orders_on) {
            filters.push(Filter::Orders {
                count: problems
                    .number("orders", "orders", &self.orders)
                    .unwrap_or(DEFAULT_COUNT),
                mode: count_mode(&self.orders_mode),
            });
        }
        if on(&self.revenue_on) {
            // Typed in whole currency units; the index counts minor units.
            let major: u64 = problems
                .number("revenue", "revenue", &self.revenue)
                .unwrap_or(DEFAULT_REVENUE);
            filters.push(Filter::Revenue {
                minor: major.saturating_mul(100),
                mode: count_mode(&self.revenue_mode),
            });
        }
        if on(&self.latest_on) {
            let mode = match self.latest_mode.as_str() {
                "exactly" => RecencyMode::Exactly,
                "not_within" => RecencyMode::NotWithin,
                _ => RecencyMode::Within,
            };
            filters.push(Filter::LatestPurchase {
                days: problems
                    .number("latest_purchase", "latest_days", &self.latest_days)
                    .unwrap_or(DEFAULT_LATEST_DAYS),
                mode,
            });
        }
        if !self.permission.trim().is_empty() {
            filters.push(Filter::Permission {
                permission: self.permission.trim().to_string(),
                mode: inclusion(&self.permission_mode),
            });
        }
        if !self.tag.trim().is_empty() {
            filters.push(Filter::Tag {
                tag: self.tag.trim().to_string(),
                mode: inclusion(&self.tag_mode),
            });
        }
        if on(&self.distance_on) {
            let max_km: Option<u32> = problems.number("distance", "distance_km", &self.distance_km);
            // An organization without venues has nothing to choose: the filter stays off.
            let venue = problems.choice(
                "distance.distance_venue",
                &self.distance_venue,
                VenueId::parse,
            );
            if let Some(venue_id) = venue {
                filters.push(Filter::Distance {
                    venue_id,
                    max_km: f64::from(max_km.unwrap_or(DEFAULT_DISTANCE_KM)),
                });
            }
        }
        filters
    }

    /// The form that shows `filters` (a saved view being opened).
    pub fn of_filters(filters: &[Filter]) -> Self {
        let mut form = Self::default();
        let mode_text = |m: CountMode| match m {
            CountMode::AtLeast => "at_least".to_string(),
            CountMode::Exactly => "exactly".to_string(),
        };
        let inclusion_text = |m: Inclusion| match m {
            Inclusion::Include => "include".to_string(),
            Inclusion::Exclude => "exclude".to_string(),
        };
        for filter in filters {
            match filter {
                Filter::Age { min, max } => {
                    form.age_on = "on".into();
                    form.age_min = min.map(|m| m.to_string()).unwrap_or_default();
                    form.age_max = max.map(|m| m.to_string()).unwrap_or_default();
                }
                Filter::Gender { gender } => {
                    form.gender = match gender {
                        GenderChoice::Women => "women",
                        GenderChoice::Men => "men",
                        GenderChoice::Both => "both",
                        GenderChoice::All => "",
                    }
                    .into()
                }
                Filter::Impulsive { max_days } => {
                    form.impulsive_on = "on".into();
                    form.impulsive_days = max_days.to_string();
                }
                Filter::Channel { channel } => {
                    form.channel = match channel {
                        ChannelChoice::Online => "online",
                        ChannelChoice::BoxOffice => "box_office",
                        ChannelChoice::Both => "both",
                        ChannelChoice::All => "",
                    }
                    .into()
                }
                Filter::Subscriber { subscriber } => {
                    form.subscriber = if *subscriber { "yes" } else { "no" }.into()
                }
                Filter::Tickets { count, mode } => {
                    form.tickets_on = "on".into();
                    form.tickets = count.to_string();
                    form.tickets_mode = mode_text(*mode);
                }
                Filter::Events { count, mode } => {
                    form.events_on = "on".into();
                    form.events = count.to_string();
                    form.events_mode = mode_text(*mode);
                }
                Filter::Orders { count, mode } => {
                    form.orders_on = "on".into();
                    form.orders = count.to_string();
                    form.orders_mode = mode_text(*mode);
                }
                Filter::Revenue { minor, mode } => {
                    form.revenue_on = "on".into();
                    form.revenue = (minor / 100).to_string();
                    form.revenue_mode = mode_text(*mode);
                }
                Filter::LatestPurchase { days, mode } => {
                    form.latest_on = "on".into();
                    form.latest_days = days.to_string();
                    form.latest_mode = match mode {
                        RecencyMode::Within => "within",
                        RecencyMode::Exactly => "exactly",
                        RecencyMode::NotWithin => "not_within",
                    }
                    .into();
                }
                Filter::Permission { permission, mode } => {
                    form.permission = permission.clone();
                    form.permission_mode = inclusion_text(*mode);
                }
                Filter::Tag { tag, mode } => {
                    form.tag = tag.clone();
                    form.tag_mode = inclusion_text(*mode);
                }
                Filter::Distance { venue_id, max_km } => {
                    form.distance_on = "on".into();
                    form.distance_venue = venue_id.to_string();
                    form.distance_km = format!("{max_km:.0}");
                }
            }
        }
        form
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(error: &Error) -> Vec<(String, String, Option<String>)> {
        match error {
            Error::Validation { fields, .. } => fields
                .iter()
                .map(|f| (f.field.clone(), f.reason.clone(), f.value.clone()))
                .collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn days_that_are_not_a_number_are_refused_naming_the_filter_row_and_field() {
        let form = DashboardForm {
            latest_on: "on".into(),
            latest_days: "abc".into(),
            ..Default::default()
        };
        let error = form
            .count_request()
            .expect_err("`abc` is not a number of days");
        assert_eq!(
            fields(&error),
            vec![(
                "latest_purchase.latest_days".to_string(),
                "must be a whole number (0 or more), not `abc`".to_string(),
                Some("abc".to_string()),
            )]
        );
        assert_eq!(
            error.to_string(),
            "latest_purchase.latest_days: must be a whole number (0 or more), not `abc`"
        );
        // Saving the filters as a view refuses the same text the same way.
        assert_eq!(
            fields(&form.filters().expect_err("not saved")),
            fields(&error)
        );
    }

    #[test]
    fn every_bad_number_is_named_not_only_the_first() {
        let form = DashboardForm {
            age_on: "on".into(),
            age_min: "18".into(),
            age_max: "old".into(),
            tickets_on: "on".into(),
            tickets: "-2".into(),
            revenue_on: "on".into(),
            revenue: "12,50".into(),
            distance_on: "on".into(),
            distance_km: "far".into(),
            ..Default::default()
        };
        let named: Vec<String> = fields(&form.count_request().expect_err("refused"))
            .into_iter()
            .map(|(field, _, _)| field)
            .collect();
        assert_eq!(
            named,
            [
                "age.age_max",
                "tickets.tickets",
                "revenue.revenue",
                "distance.distance_km"
            ]
        );
    }

    #[test]
    fn numbers_are_read_as_typed_and_empty_fields_mean_what_the_page_shows() {
        let form = DashboardForm {
            age_on: "on".into(),
            age_min: " 20 ".into(),
            impulsive_on: "on".into(),
            latest_on: "on".into(),
            latest_mode: "not_within".into(),
            revenue_on: "on".into(),
            revenue: "250".into(),
            revenue_mode: "exactly".into(),
            ..Default::default()
        };
        let request = form.count_request().expect("valid");
        assert_eq!(
            request.filters,
            vec![
                Filter::Age {
                    min: Some(20),
                    max: None
                },
                Filter::Impulsive {
                    max_days: DEFAULT_IMPULSIVE_DAYS
                },
                Filter::Revenue {
                    minor: 25_000,
                    mode: CountMode::Exactly
                },
                Filter::LatestPurchase {
                    days: DEFAULT_LATEST_DAYS,
                    mode: RecencyMode::NotWithin
                },
            ]
        );
        assert_eq!(request.view_for, ViewFor::default());
    }

    #[test]
    fn a_view_for_that_is_no_id_is_refused_beside_its_select() {
        let form = DashboardForm {
            for_event: "prd_not-an-event".into(),
            ..Default::default()
        };
        let error = form.count_request().expect_err("refused");
        assert_eq!(
            fields(&error),
            vec![(
                "view_for.for_event".to_string(),
                NOT_A_CHOICE.to_string(),
                Some("prd_not-an-event".to_string()),
            )]
        );
    }

    #[test]
    fn a_saved_view_opens_as_the_form_that_saves_it_again() {
        let filters = vec![
            Filter::Tickets {
                count: 3,
                mode: CountMode::Exactly,
            },
            Filter::LatestPurchase {
                days: 90,
                mode: RecencyMode::Within,
            },
            Filter::Tag {
                tag: "vip".into(),
                mode: Inclusion::Exclude,
            },
        ];
        let form = DashboardForm::of_filters(&filters);
        assert_eq!(form.filters().expect("valid"), filters);
    }

    #[test]
    fn the_segment_form_names_each_bad_field() {
        let form = SegmentForm {
            name: "Opera".into(),
            days_back: "a year".into(),
            from: "01/02/2030".into(),
            venue_id: "nonsense".into(),
            ..Default::default()
        };
        let named: Vec<String> = fields(&form.definition().expect_err("refused"))
            .into_iter()
            .map(|(field, _, _)| field)
            .collect();
        assert_eq!(named, ["days_back", "event_filter.from", "venue_id"]);

        let form = SegmentForm {
            name: "Opera".into(),
            days_back: "365".into(),
            categories: "A, ,B".into(),
            to: "2030-06-01".into(),
            ..Default::default()
        };
        let definition = form.definition().expect("valid");
        assert_eq!(definition.days_back, 365);
        assert_eq!(definition.event_filter.categories, ["A", "B"]);
        assert_eq!(
            definition.event_filter.to,
            NaiveDate::from_ymd_opt(2030, 6, 1)
        );
        assert!(definition.excluded.is_none());
    }
}
