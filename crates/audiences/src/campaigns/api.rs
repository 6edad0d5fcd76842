//! The campaigns JSON API under `/api/v1/campaigns`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fullhouse_core::error::{ErrorBody, Result};
use fullhouse_core::http::{created, ApiJson, ApiPath, ApiQuery, AppState, Page, PageParams};
use fullhouse_core::{Caller, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::*;
use super::service::CampaignService;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign, update_campaign, delete_campaign))
        .routes(routes!(campaign_report))
}

fn service(state: &AppState) -> CampaignService {
    CampaignService::new(state.db.clone())
}

/// List campaigns.
#[utoipa::path(get, path = "/campaigns", tag = "campaigns", params(PageParams),
    responses((status = 200, body = Page<Campaign>)))]
async fn list_campaigns(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<Campaign>>> {
    caller.require(Permission::Read)?;
    Ok(Json(service(&state).list(&caller.org, &params).await?))
}

/// Create a campaign: audiences, the events or productions it applies to, its effects
/// (discount, unlocks, member seats, loyalty), validity window, per-order limit, and whether a
/// code's quantity counts per event or once across all events.
#[utoipa::path(post, path = "/campaigns", tag = "campaigns", request_body = NewCampaign,
    responses((status = 201, body = Campaign), (status = 422, body = ErrorBody)))]
async fn create_campaign(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewCampaign>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    Ok(created(service(&state).create(&caller.org, new).await?))
}

/// One campaign.
#[utoipa::path(get, path = "/campaigns/{id}", tag = "campaigns", params(("id" = CampaignId, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody)))]
async fn get_campaign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CampaignId>,
) -> Result<Json<Campaign>> {
    caller.require(Permission::Read)?;
    Ok(Json(service(&state).get(&caller.org, &id).await?))
}

/// Change a campaign; `{"status": "paused"}` pauses it, `"active"` resumes it.
#[utoipa::path(patch, path = "/campaigns/{id}", tag = "campaigns", params(("id" = CampaignId, Path)),
    request_body = CampaignPatch,
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_campaign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CampaignId>,
    ApiJson(patch): ApiJson<CampaignPatch>,
) -> Result<Json<Campaign>> {
    caller.require(Permission::Market)?;
    Ok(Json(service(&state).update(&caller.org, &id, patch).await?))
}

/// Delete a campaign no order has used (pause a used one).
#[utoipa::path(delete, path = "/campaigns/{id}", tag = "campaigns", params(("id" = CampaignId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_campaign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CampaignId>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    service(&state).delete(&caller.org, &id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// The redemption report: per code and in total, uses of paid orders and uses held by orders
/// awaiting payment, what is left (held uses count as taken), and the orders of each.
#[utoipa::path(get, path = "/campaigns/{id}/report", tag = "campaigns", params(("id" = CampaignId, Path)),
    responses((status = 200, body = CampaignReport), (status = 404, body = ErrorBody)))]
async fn campaign_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CampaignId>,
) -> Result<Json<CampaignReport>> {
    caller.require(Permission::Read)?;
    Ok(Json(service(&state).report(&caller.org, &id).await?))
}
