//! The report's routes, mounted under `/api/v1`: a promotion's report as JSON, its hits a page
//! at a time, the leaderboard as CSV, and marking a reward fulfilled.
//!
//! The leaderboard CSV writes no cell as a formula: a name or code starting with `=`, `+`, `-`,
//! `@` or a control character gets a leading `'` ([`neutralize_formula`]; tested below).

use std::convert::Infallible;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{ApiPath, ApiQuery, AppState};
use fullhouse_core::tabular::neutralize_formula;
use fullhouse_core::{Caller, Permission, Result};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::model::*;
use crate::service::report::{HitPage, Leader, Report};
use crate::service::Referrals;

/// Lines of CSV per chunk of the streamed export.
const CSV_CHUNK: usize = 500;

/// The id schemas the path parameters name (the model's bodies carry ids as plain strings, so
/// nothing else registers them).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(PromotionId, RewardId)))]
struct Ids;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<Ids as utoipa::OpenApi>::openapi())
        .routes(routes!(report))
        .routes(routes!(hits))
        .routes(routes!(report_csv))
        .routes(routes!(fulfil))
}

/// The report on a promotion: totals (conversion is counted orders per unique human click),
/// hits by class and reason, orders by verdict, the daily series on the venue's calendar, the
/// leaderboard, winners by tier and the reward ledger.
#[utoipa::path(get, path = "/referrals/promotions/{id}/report", tag = "referrals",
    params(("id" = PromotionId, Path)),
    responses((status = 200, body = Report), (status = 404, body = ErrorBody)))]
async fn report(
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Report>> {
    caller.require(Permission::Read)?;
    let id = PromotionId::parse(&id)?;
    Ok(Json(referrals.report(&caller.org, &id).await?))
}

/// Which page of hits.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HitsQuery {
    /// From 1; past the last page, the last page.
    pub page: Option<u64>,
}

/// A promotion's hits, newest first, with their class and the reason for it.
#[utoipa::path(get, path = "/referrals/promotions/{id}/hits", tag = "referrals",
    params(("id" = PromotionId, Path), HitsQuery),
    responses((status = 200, body = HitPage), (status = 404, body = ErrorBody)))]
async fn hits(
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<HitsQuery>,
) -> Result<Json<HitPage>> {
    caller.require(Permission::Read)?;
    let id = PromotionId::parse(&id)?;
    Ok(Json(
        referrals
            .hits(&caller.org, &id, query.page.unwrap_or(1))
            .await?,
    ))
}

/// The leaderboard as CSV (rank, name, email, clicks, tickets, revenue, tiers reached), streamed.
/// No cell starts a formula in a spreadsheet program (a participant's name is theirs to choose).
#[utoipa::path(get, path = "/referrals/promotions/{id}/report.csv", tag = "referrals",
    params(("id" = PromotionId, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
async fn report_csv(
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response> {
    caller.require(Permission::Read)?;
    let id = PromotionId::parse(&id)?;
    let report = referrals.report(&caller.org, &id).await?;
    Ok(csv_response(&report))
}

/// The CSV file of a report's leaderboard, as a download (shared with the page's Export link).
pub(crate) fn csv_response(report: &Report) -> Response {
    let mut chunks = vec![csv_line(&[
        "rank",
        "name",
        "email",
        "clicks",
        "tickets",
        "revenue",
        "currency",
        "tiers_reached",
    ])];
    for lines in report.leaderboard.chunks(CSV_CHUNK) {
        chunks.push(lines.iter().map(leader_line).collect::<String>());
    }
    let stream = futures::stream::iter(chunks.into_iter().map(Ok::<_, Infallible>));
    let file = format!("referrals-{}.csv", report.promotion.id);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

fn leader_line(line: &Leader) -> String {
    let revenue = format!(
        "{}.{:02}",
        line.revenue_minor / 100,
        (line.revenue_minor % 100).abs()
    );
    let tiers = line
        .reached
        .iter()
        .map(|t| format!("{}: {}", t.tickets, t.reward))
        .collect::<Vec<_>>()
        .join("; ");
    csv_line(&[
        &line.rank.to_string(),
        &line.name,
        &line.email,
        &line.clicks.to_string(),
        &line.tickets.to_string(),
        &revenue,
        line.currency.as_deref().unwrap_or_default(),
        &tiers,
    ])
}

/// One CSV line: every cell quoted, quotes doubled, a would-be formula neutralized.
fn csv_line(cells: &[&str]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| format!("\"{}\"", neutralize_formula(c).replace('"', "\"\"")))
        .collect();
    format!("{}\r\n", quoted.join(","))
}

/// Marks a reward fulfilled: by the caller, now. Marking it again changes nothing (the first
/// who and when stay).
#[utoipa::path(post, path = "/referrals/rewards/{id}/fulfil", tag = "referrals",
    params(("id" = RewardId, Path)),
    responses((status = 200, body = Reward), (status = 404, body = ErrorBody)))]
async fn fulfil(
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Reward>> {
    require_fulfil(&caller)?;
    let id = RewardId::parse(&id)?;
    let who = referrals.actor(&caller).await;
    Ok(Json(referrals.fulfil(&caller.org, &id, &who).await?))
}

/// Rewards are handed over by the box office (a drink at the bar) or by marketing: either may
/// mark one fulfilled.
pub(crate) fn require_fulfil(caller: &Caller) -> Result<()> {
    caller
        .require(Permission::Sell)
        .or_else(|_| caller.require(Permission::Market))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_cell_never_starts_a_formula_and_quotes_are_doubled() {
        let line = csv_line(&["=HYPERLINK(\"x\")", "Ana", "+45"]);
        assert_eq!(line, "\"'=HYPERLINK(\"\"x\"\")\",\"Ana\",\"'+45\"\r\n");
    }
}
