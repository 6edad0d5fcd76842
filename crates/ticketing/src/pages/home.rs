//! The start page: what is coming up and what ran lately. It lives here because its figures are
//! ticketing's (events; sales figures will join them).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::jobs::{Job, JobService};
use fullhouse_web::{PageError, Ui};

use crate::model::catalog::{Event, EventFilter};
use crate::service::CatalogService;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    ui: Ui,
    upcoming: Vec<Event>,
    jobs: Vec<Job>,
}

/// The start page: what is coming up and what ran lately.
async fn home(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    let org = &ui.caller.org;
    let few = PageParams {
        cursor: None,
        limit: Some(5),
    };
    let upcoming = CatalogService::new(state.db.clone())
        .list_events(
            org,
            &EventFilter {
                from: Some(chrono::Utc::now()),
                ..EventFilter::default()
            },
            &few,
        )
        .await
        .map_err(|e| ui.error(e))?
        .items;
    let jobs = JobService::new(state.db.clone(), state.files.clone())
        .list(org, &few)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    Ok(HomePage { ui, upcoming, jobs }.into_response())
}
