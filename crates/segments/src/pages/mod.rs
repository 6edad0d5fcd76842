//! Customers → Segmentation: the segment list (with removed segments to restore), the create and
//! edit forms with "fetch data", and the segment dashboard whose counts follow every slider and
//! checkbox live.
//!
//! The dashboard is one GET form: the full page renders it with its counts; htmx sends the same
//! query to `/segments/{id}/counts` on every change and swaps in the counts partial only.
//! `hx-sync="this:replace"` aborts a request still in flight when a newer one starts, so a fast
//! slider never shows a stale count last.
//!
//! The forms' text is parsed in [`crate::model::form`]; these handlers render the forms and put
//! a refused value's reason beside its field.

pub mod actions;
mod audience;
mod connectors;
mod dashboard;
mod edit;
mod export;
mod list;
mod push;
mod sends;
mod tags;
mod views;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::module::LocaleFile;
use fullhouse_ticketing::model::catalog::{Event, EventFilter as CatalogEventFilter, Production};
use fullhouse_ticketing::model::venues::Venue;
use fullhouse_ticketing::service::{CatalogService, VenueService};
use fullhouse_web::{PageError, Ui};

use crate::service::SegmentService;

/// The strings of the segment pages.
pub const LOCALES: &[LocaleFile] = fullhouse_core::locale_files!(
    "segments",
    "segments-actions",
    "segments-exports",
    "segments-connectors",
    "segments-tags",
    "segments-sends"
);

/// The dashboard's and the segment form's own styles and script (the counts that stay in view,
/// a slider that turns its filter on, the days-back number and slider kept together). Served
/// from here because the Content-Security-Policy allows no inline style or script.
const CSS: &str = include_str!("../../static/segments.css");
const JS: &str = include_str!("../../static/segments.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/static/segments.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/static/segments.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route("/segments", get(list::list).post(edit::create))
        .route("/segments/new", get(edit::new_form))
        .route("/segments/{id}", get(dashboard::dashboard))
        .route("/segments/{id}/counts", get(dashboard::counts))
        .route("/segments/{id}/edit", get(edit::edit_form).post(edit::edit))
        .route("/segments/{id}/remove", post(list::remove))
        .route("/segments/{id}/restore", post(list::restore))
        .route("/segments/{id}/views", post(views::save_view))
        .route(
            "/segments/{id}/actions/audience",
            get(audience::audience_form).post(audience::make_audience),
        )
        .route(
            "/segments/audiences/{audience}/refresh",
            post(audience::refresh),
        )
        .route(
            "/segments/{id}/actions/tag",
            get(tags::tag_form).post(tags::apply_tag),
        )
        .route("/segments/tag-actions/{action}/undo", post(tags::undo))
        .route(
            "/segments/connectors",
            get(connectors::list).post(connectors::create),
        )
        .route("/segments/connectors/new", get(connectors::new_form))
        .route(
            "/segments/connectors/{id}",
            get(connectors::edit_form).post(connectors::edit),
        )
        .route("/segments/connectors/{id}/delete", post(connectors::delete))
        .route(
            "/segments/{id}/actions/push",
            get(push::push_form).post(push::start_push),
        )
        .route(
            "/segments/{id}/actions/export",
            get(export::export_form).post(export::start),
        )
        .route(
            "/segments/{id}/actions/mail",
            get(sends::send_form).post(sends::send_action),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

fn service(state: &AppState) -> SegmentService {
    SegmentService::new(state.db.clone())
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

#[cfg(test)]
mod tests {
    use fullhouse_web::i18n::checks;

    #[test]
    fn danish_and_french_translate_every_english_string() {
        assert!(!checks::keys_in(super::LOCALES, "en").is_empty());
        assert_eq!(checks::untranslated(super::LOCALES), Vec::<String>::new());
    }

    #[test]
    fn every_key_the_pages_use_exists() {
        let mut known = checks::keys_in(super::LOCALES, "en");
        known.extend(checks::keys_in(fullhouse_web::i18n::LOCALES, "en"));
        let unknown =
            checks::unknown_keys(&checks::page_sources(env!("CARGO_MANIFEST_DIR")), &known);
        assert!(unknown.is_empty(), "keys missing from en: {unknown:#?}");
    }

    /// A key defined in two of the module's files makes Fluent refuse the whole catalog, and
    /// every page and job would show raw keys.
    #[test]
    fn the_catalog_loads_with_each_key_defined_once() {
        assert_eq!(fullhouse_web::i18n::install(super::LOCALES), Ok(()));
    }
}
