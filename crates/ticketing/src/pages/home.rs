//! The start page: the sales figures an organizer looks for first (tickets sold and revenue
//! today, this week and this season, and a chart of the last days), the next events with
//! sold / capacity, and what ran lately. It lives here because its figures are ticketing's.
//!
//! The days, the week (from Monday) and the season (from 1 July) are cut in the
//! organization's time zone; see [`crate::service::figures`].

use std::borrow::Borrow;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate, Utc};
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::jobs::{Job, JobService};
use fullhouse_web::{chart, Lang, PageError, Ui};

use crate::model::catalog::EventFilter;
use crate::pages::events::{event_rows, EventRow};
use crate::service::figures::{SalesFigures, SalesTotals, DAYS_CHARTED};
use crate::service::{CatalogService, FiguresService};

/// Events listed under "Upcoming events".
const UPCOMING_SHOWN: u64 = 5;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    ui: Ui,
    currency: String,
    sales: SalesFigures,
    /// The sales chart's SVG (escaped by `fullhouse_web::chart`).
    chart: String,
    upcoming: Vec<EventRow>,
    jobs: Vec<Job>,
}

/// One of the three figures at the top: its heading's key and its totals.
struct Period {
    key: &'static str,
    totals: SalesTotals,
}

impl HomePage {
    fn periods(&self) -> [Period; 3] {
        [
            Period {
                key: "home-today",
                totals: self.sales.today_totals,
            },
            Period {
                key: "home-this-week",
                totals: self.sales.week_totals,
            },
            Period {
                key: "home-this-season",
                totals: self.sales.season_totals,
            },
        ]
    }

    fn day(&self, day: impl Borrow<NaiveDate>) -> String {
        long_date(self.ui.lang, *day.borrow())
    }

    fn days_charted(&self) -> u32 {
        DAYS_CHARTED
    }
}

/// The start page: sales figures, what is coming up and what ran lately.
async fn home(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    let org = &ui.caller.org;
    let now = Utc::now();
    let organization = state
        .tenancy()
        .organization(org)
        .await
        .map_err(|e| ui.error(e))?;
    let sales = FiguresService::new(state.db.clone())
        .sales(org, ui.timezone, now)
        .await
        .map_err(|e| ui.error(e))?;
    let lang = ui.lang;
    let points: Vec<(String, i64)> = sales
        .days
        .iter()
        .map(|d| (short_date(lang, d.day), d.totals.tickets))
        .collect();
    let chart = chart::bars(
        &points,
        |n| lang.number(n),
        &lang.t1("home-chart-title", "days", DAYS_CHARTED),
    );
    let upcoming = CatalogService::new(state.db.clone())
        .list_events(
            org,
            &EventFilter {
                from: Some(now),
                ..EventFilter::default()
            },
            &PageParams {
                cursor: None,
                limit: Some(UPCOMING_SHOWN),
            },
        )
        .await
        .map_err(|e| ui.error(e))?
        .items;
    let upcoming = event_rows(&state, org, upcoming, now)
        .await
        .map_err(|e| ui.error(e))?;
    let jobs = JobService::new(state.db.clone(), state.files.clone())
        .list(
            org,
            &PageParams {
                cursor: None,
                limit: Some(UPCOMING_SHOWN),
            },
        )
        .await
        .map_err(|e| ui.error(e))?
        .items;
    Ok(HomePage {
        ui,
        currency: organization.currency,
        sales,
        chart,
        upcoming,
        jobs,
    }
    .into_response())
}

/// A day under a chart's bar: `16/3`, `16.3.`, `16/03`.
fn short_date(lang: Lang, day: NaiveDate) -> String {
    match lang {
        Lang::En => format!("{}/{}", day.day(), day.month()),
        Lang::Da => format!("{}.{}.", day.day(), day.month()),
        Lang::Fr => format!("{:02}/{:02}", day.day(), day.month()),
    }
}

/// A day in a sentence: `1 July 2026`, `1. juli 2026`, `1 juillet 2026`.
pub fn long_date(lang: Lang, day: NaiveDate) -> String {
    let month = lang.t(&format!("month-{}", day.month()));
    match lang {
        Lang::Da => format!("{}. {month} {}", day.day(), day.year()),
        Lang::En | Lang::Fr => format!("{} {month} {}", day.day(), day.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
        assert_eq!(short_date(Lang::Da, day), "1.7.");
        assert_eq!(short_date(Lang::Fr, day), "01/07");
        assert_eq!(short_date(Lang::En, day), "1/7");
    }
}
