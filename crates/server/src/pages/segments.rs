//! Customers → Segmentation: the segment list (with removed segments to restore), the create and
//! edit forms with "fetch data", and the segment dashboard whose counts follow every slider and
//! checkbox live.
//!
//! The dashboard is one GET form: the full page renders it with its counts; htmx sends the same
//! query to `/segments/{id}/counts` on every change and swaps in the counts partial only.
//! `hx-sync="this:replace"` aborts a request still in flight when a newer one starts, so a fast
//! slider never shows a stale count last.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::{NaiveDate, Utc};
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::{Error, Permission};
use fullhouse_segments::index::Registry;
use fullhouse_segments::model::*;
use fullhouse_segments::service::{Listing, SegmentService};
use fullhouse_ticketing::model::catalog::{Event, EventFilter as CatalogEventFilter, Production};
use fullhouse_ticketing::model::venues::Venue;
use fullhouse_ticketing::service::{CatalogService, VenueService};
use fullhouse_ticketing::{EventId, ProductionId, VenueId};
use serde::Deserialize;

use super::layout::{vary_on_htmx, FormErrors, PageError, Ui};

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/segments", get(list).post(create))
        .route("/segments/new", get(new_form))
        .route("/segments/{id}", get(dashboard))
        .route("/segments/{id}/counts", get(counts))
        .route("/segments/{id}/edit", get(edit_form).post(edit))
        .route("/segments/{id}/remove", post(remove))
        .route("/segments/{id}/restore", post(restore))
        .route("/segments/{id}/views", post(save_view))
}

fn service(state: &AppState) -> SegmentService {
    SegmentService::new(state.db.clone())
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Names for the selects: productions, venues and events (the first page of each).
pub struct Choices {
    pub productions: Vec<Production>,
    pub venues: Vec<Venue>,
    pub events: Vec<Event>,
}

impl Choices {
    async fn load(state: &AppState, ui: &Ui) -> Result<Self, PageError> {
        let org = &ui.caller.org;
        let all = PageParams {
            cursor: None,
            limit: Some(PageParams::MAX_LIMIT),
        };
        let catalog = CatalogService::new(state.db.clone());
        let productions = catalog
            .list_productions(org, &all)
            .await
            .map_err(|e| ui.error(e))?
            .items;
        let events = catalog
            .list_events(org, &CatalogEventFilter::default(), &all)
            .await
            .map_err(|e| ui.error(e))?
            .items;
        let venues = VenueService::new(state.db.clone())
            .list_venues(org, &all)
            .await
            .map_err(|e| ui.error(e))?
            .items;
        Ok(Self {
            productions,
            venues,
            events,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The list.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    removed: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/list.html")]
struct ListPage {
    ui: Ui,
    segments: Vec<Segment>,
    removed: bool,
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let removed = !query.removed.is_empty();
    let listing = if removed {
        Listing::Removed
    } else {
        Listing::Active
    };
    let segments = service(&state)
        .list(&ui.caller.org, listing)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(ListPage {
        ui,
        segments,
        removed,
    }
    .into_response())
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

async fn remove(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    service(&state)
        .remove(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/segments").into_response())
}

async fn restore(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    service(&state)
        .restore(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/segments").into_response())
}

// ---------------------------------------------------------------------------------------------
// Create and edit.
// ---------------------------------------------------------------------------------------------

/// The segment form as typed: one production, venue and excluded production each (the API
/// takes lists), categories comma-separated.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SegmentForm {
    #[serde(default)]
    csrf_token: String,
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
    fn of(segment: &Segment) -> Self {
        let d = &segment.definition;
        let first = |ids: Vec<String>| ids.into_iter().next().unwrap_or_default();
        Self {
            csrf_token: String::new(),
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
    fn definition(&self) -> Result<SegmentDefinition, Error> {
        let mut problems = Vec::new();
        let days_back = match self.days_back.trim() {
            "" => 0,
            text => text.parse().unwrap_or_else(|_| {
                problems.push(fullhouse_core::error::FieldError::new(
                    "days_back",
                    "must be a whole number",
                ));
                0
            }),
        };
        let mut date = |field: &str, text: &str| match text.trim() {
            "" => None,
            text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| {
                    problems.push(fullhouse_core::error::FieldError::new(
                        field,
                        "must be a date (YYYY-MM-DD)",
                    ));
                })
                .ok(),
        };
        let from = date("event_filter.from", &self.from);
        let to = date("event_filter.to", &self.to);
        let production_ids = parse_list(
            &self.production_id,
            "production_id",
            &mut problems,
            ProductionId::parse,
        );
        let venue_ids = parse_list(&self.venue_id, "venue_id", &mut problems, VenueId::parse);
        let excluded = parse_list(
            &self.excluded_production_id,
            "excluded_production_id",
            &mut problems,
            ProductionId::parse,
        );
        if !problems.is_empty() {
            return Err(Error::invalid_fields(problems));
        }
        Ok(SegmentDefinition {
            event_filter: EventFilter {
                production_ids,
                venue_ids,
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
            excluded: (!excluded.is_empty()).then(|| EventFilter {
                production_ids: excluded,
                ..Default::default()
            }),
        })
    }
}

fn parse_list<T>(
    text: &str,
    field: &str,
    problems: &mut Vec<fullhouse_core::error::FieldError>,
    parse: impl Fn(&str) -> Result<T, Error>,
) -> Vec<T> {
    match text.trim() {
        "" => Vec::new(),
        text => match parse(text) {
            Ok(id) => vec![id],
            Err(_) => {
                problems.push(fullhouse_core::error::FieldError::new(
                    field,
                    "is not one of the choices",
                ));
                Vec::new()
            }
        },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/form.html")]
struct FormPage {
    ui: Ui,
    segment: Option<Segment>,
    form: SegmentForm,
    errors: FormErrors,
    choices: Choices,
    fetched: Option<u64>,
}

async fn form_page(
    state: &AppState,
    ui: Ui,
    segment: Option<Segment>,
    form: SegmentForm,
    errors: FormErrors,
    fetched: Option<u64>,
) -> Result<Response, PageError> {
    let choices = Choices::load(state, &ui).await?;
    let page = FormPage {
        ui,
        segment,
        form,
        errors: errors.clone(),
        choices,
        fetched,
    };
    Ok(super::layout::with_status(&errors, page))
}

async fn new_form(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let form = SegmentForm {
        days_back: "0".into(),
        ..Default::default()
    };
    form_page(&state, ui, None, form, FormErrors::default(), None).await
}

async fn edit_form(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let segment = service(&state)
        .segment(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let form = SegmentForm::of(&segment);
    form_page(&state, ui, Some(segment), form, FormErrors::default(), None).await
}

/// "Fetch data": the number of customers the form's definition holds today.
async fn fetch(
    state: &AppState,
    registry: &Registry,
    ui: &Ui,
    definition: SegmentDefinition,
) -> Result<u64, Error> {
    let counts = service(state)
        .count_definition(
            registry,
            &ui.caller.org,
            definition,
            CountRequest::default(),
            today(),
        )
        .await?;
    Ok(counts.segment)
}

async fn create(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Form(form): Form<SegmentForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let definition = match form.definition() {
        Ok(d) => d,
        Err(err) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            return form_page(&state, ui, None, form, errors, None).await;
        }
    };
    if !form.fetch.is_empty() {
        return match fetch(&state, &registry, &ui, definition).await {
            Ok(count) => {
                form_page(&state, ui, None, form, FormErrors::default(), Some(count)).await
            }
            Err(err) => {
                let errors = FormErrors::from_error(ui.lang, &err);
                form_page(&state, ui, None, form, errors, None).await
            }
        };
    }
    let new = NewSegment {
        name: form.name.clone(),
        description: Some(form.description.clone()),
        event_filter: definition.event_filter,
        days_back: definition.days_back,
        excluded: definition.excluded,
    };
    match service(&state).create(&ui.caller.org, new).await {
        Ok(segment) => Ok(Redirect::to(&format!("/segments/{}", segment.id)).into_response()),
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            form_page(&state, ui, None, form, errors, None).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

async fn edit(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<SegmentForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let segments = service(&state);
    let segment = segments
        .segment(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let definition = match form.definition() {
        Ok(d) => d,
        Err(err) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            return form_page(&state, ui, Some(segment), form, errors, None).await;
        }
    };
    if !form.fetch.is_empty() {
        let count = fetch(&state, &registry, &ui, definition)
            .await
            .map_err(|e| ui.error(e))?;
        return form_page(
            &state,
            ui,
            Some(segment),
            form,
            FormErrors::default(),
            Some(count),
        )
        .await;
    }
    let patch = SegmentPatch {
        name: Some(form.name.clone()),
        description: Some(Some(form.description.clone())),
        event_filter: Some(definition.event_filter),
        days_back: Some(definition.days_back),
        excluded: Some(definition.excluded),
    };
    match segments.update(&ui.caller.org, &id, patch).await {
        Ok(segment) => Ok(Redirect::to(&format!("/segments/{}", segment.id)).into_response()),
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            form_page(&state, ui, Some(segment), form, errors, None).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

// ---------------------------------------------------------------------------------------------
// The dashboard.
// ---------------------------------------------------------------------------------------------

/// The dashboard's filters as the form sends them: a checkbox turns each filter on.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DashboardForm {
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

fn number(text: &str, default: u32) -> u32 {
    text.trim().parse().unwrap_or(default)
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

fn on(text: &str) -> bool {
    !text.is_empty()
}

impl DashboardForm {
    /// The filters the form turns on, in the dashboard's order. Out-of-range numbers are kept as
    /// typed and refused by the service with the field named.
    pub fn filters(&self) -> Vec<Filter> {
        let mut filters = Vec::new();
        if on(&self.age_on) {
            filters.push(Filter::Age {
                min: self.age_min.trim().parse().ok(),
                max: self.age_max.trim().parse().ok(),
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
            filters.push(Filter::Impulsive {
                max_days: number(&self.impulsive_days, 7),
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
                count: number(&self.tickets, 1),
                mode: count_mode(&self.tickets_mode),
            });
        }
        if on(&self.events_on) {
            filters.push(Filter::Events {
                count: number(&self.events, 1),
                mode: count_mode(&self.events_mode),
            });
        }
        if on(&self.orders_on) {
            filters.push(Filter::Orders {
                count: number(&self.orders, 1),
                mode: count_mode(&self.orders_mode),
            });
        }
        if on(&self.revenue_on) {
            // Typed in whole currency units; the index counts minor units.
            let major: u64 = self.revenue.trim().parse().unwrap_or(0);
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
                days: number(&self.latest_days, 30),
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
            if let Ok(venue_id) = VenueId::parse(self.distance_venue.trim()) {
                filters.push(Filter::Distance {
                    venue_id,
                    max_km: f64::from(number(&self.distance_km, 25)),
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

    fn view_for(&self) -> ViewFor {
        ViewFor {
            production_id: ProductionId::parse(self.for_production.trim()).ok(),
            event_id: EventId::parse(self.for_event.trim()).ok(),
        }
    }

    /// The text of a field, for `value="…"`, with a default when empty.
    pub fn or<'a>(&'a self, value: &'a str, default: &'a str) -> &'a str {
        if value.trim().is_empty() {
            default
        } else {
            value
        }
    }

    pub fn checked(&self, value: &str) -> &'static str {
        if on(value) {
            "checked"
        } else {
            ""
        }
    }

    pub fn selected(&self, value: &str, option: &str) -> &'static str {
        if value == option {
            "selected"
        } else {
            ""
        }
    }
}

/// The counts partial: the total, each filter's count, the first customers.
pub struct CountsView {
    pub lang: super::i18n::Lang,
    pub counts: Option<SegmentCounts>,
    pub problem: Option<String>,
}

impl CountsView {
    /// A filter's name in the user's language.
    pub fn label(&self, kind: &str) -> String {
        self.lang.t(&format!("segments-filter-{kind}"))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/dashboard.html")]
struct DashboardPage {
    ui: Ui,
    segment: Segment,
    form: DashboardForm,
    view: CountsView,
    views: Vec<SegmentView>,
    choices: Choices,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/_counts.html")]
struct CountsPartial {
    ui: Ui,
    view: CountsView,
}

async fn count_view(
    state: &AppState,
    registry: &Registry,
    ui: &Ui,
    id: &SegmentId,
    form: &DashboardForm,
) -> Result<CountsView, PageError> {
    let request = CountRequest {
        filters: form.filters(),
        view_for: form.view_for(),
    };
    match service(state)
        .count(registry, &ui.caller.org, id, request, today())
        .await
    {
        Ok(counts) => Ok(CountsView {
            lang: ui.lang,
            counts: Some(counts),
            problem: None,
        }),
        // Out-of-range input is shown above the counts, not as an error page.
        Err(err @ Error::Validation { .. }) => Ok(CountsView {
            lang: ui.lang,
            counts: None,
            problem: Some(super::i18n::error_message(ui.lang, &err)),
        }),
        Err(err) => Err(ui.error(err)),
    }
}

async fn dashboard(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    Query(mut form): Query<DashboardForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let segments = service(&state);
    let segment = segments
        .segment(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let views = segments
        .views(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    if let Some(saved) = views.iter().find(|v| v.id.as_str() == form.view) {
        let (for_production, for_event) = (form.for_production.clone(), form.for_event.clone());
        form = DashboardForm::of_filters(&saved.filters);
        form.view = saved.id.to_string();
        form.for_production = for_production;
        form.for_event = for_event;
    }
    let view = count_view(&state, &registry, &ui, &id, &form).await?;
    let choices = Choices::load(&state, &ui).await?;
    Ok(vary_on_htmx(
        DashboardPage {
            ui,
            segment,
            form,
            view,
            views,
            choices,
        }
        .into_response(),
    ))
}

async fn counts(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    Query(form): Query<DashboardForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let view = count_view(&state, &registry, &ui, &id, &form).await?;
    Ok(CountsPartial { ui, view }.into_response())
}

#[derive(Debug, Deserialize)]
struct SaveViewForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    dashboard: DashboardForm,
}

/// Saves the dashboard's filters as a view (or replaces the open view when the name is empty).
async fn save_view(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<SaveViewForm>,
) -> Result<Response, PageError> {
    ui.check_csrf(&form.csrf_token)?;
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let segments = service(&state);
    let dashboard = form.dashboard;
    let filters = dashboard.filters();
    let open = ViewId::parse(dashboard.view.trim()).ok();
    let saved = match (dashboard.view_name.trim(), open) {
        ("", Some(view)) => {
            let current = segments
                .view(&ui.caller.org, &id, &view)
                .await
                .map_err(|e| ui.error(e))?;
            segments
                .update_view(
                    &ui.caller.org,
                    &id,
                    &view,
                    NewView {
                        name: current.name,
                        filters,
                    },
                )
                .await
        }
        (name, _) => {
            segments
                .create_view(
                    &ui.caller.org,
                    &id,
                    NewView {
                        name: name.to_string(),
                        filters,
                    },
                )
                .await
        }
    }
    .map_err(|e| ui.error(e))?;
    let target = format!("/segments/{id}?view={}", saved.id);
    if ui.htmx {
        // htmx posted the form with the dashboard's filters; it loads the view as a page.
        let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
        if let Ok(value) = axum::http::HeaderValue::from_str(&target) {
            response.headers_mut().insert("hx-redirect", value);
        }
        return Ok(response);
    }
    Ok(Redirect::to(&target).into_response())
}
