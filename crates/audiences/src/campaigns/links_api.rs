//! The campaign links' JSON API under `/api/v1/campaigns/{id}/links` (see [`super::links`] for
//! what a link is and the rule it follows).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fullhouse_core::error::{ErrorBody, Result};
use fullhouse_core::http::{created, ApiJson, ApiPath, AppState};
use fullhouse_core::{Caller, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::links::*;
use super::model::CampaignId;

/// Path ids are documented by their schema; a schema named only in a path parameter is not
/// collected by itself.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(CampaignLinkId)))]
struct Ids;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<Ids as utoipa::OpenApi>::openapi())
        .routes(routes!(list_links, create_link))
        .routes(routes!(get_link, update_link, delete_link))
}

fn service(state: &AppState) -> CampaignLinkService {
    CampaignLinkService::new(state.db.clone())
}

/// The campaign's links, with the address each opens as of now.
#[utoipa::path(get, path = "/campaigns/{id}/links", tag = "campaigns",
    params(("id" = CampaignId, Path)),
    responses((status = 200, body = Vec<CampaignLink>), (status = 404, body = ErrorBody)))]
async fn list_links(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CampaignId>,
) -> Result<Json<Vec<CampaignLink>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        service(&state)
            .list(&caller.org, &id, &state.settings.public_url)
            .await?,
    ))
}

/// Create a link: a name, one event or production the campaign applies to, and a code of a
/// member of one of the campaign's audiences (shared by everyone the link is sent to).
#[utoipa::path(post, path = "/campaigns/{id}/links", tag = "campaigns",
    params(("id" = CampaignId, Path)), request_body = NewCampaignLink,
    responses((status = 201, body = CampaignLink), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CampaignId>,
    ApiJson(new): ApiJson<NewCampaignLink>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    Ok(created(
        service(&state)
            .create(&caller.org, &id, new, &state.settings.public_url)
            .await?,
    ))
}

/// One link.
#[utoipa::path(get, path = "/campaigns/{id}/links/{link}", tag = "campaigns",
    params(("id" = CampaignId, Path), ("link" = CampaignLinkId, Path)),
    responses((status = 200, body = CampaignLink), (status = 404, body = ErrorBody)))]
async fn get_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, link)): ApiPath<(CampaignId, CampaignLinkId)>,
) -> Result<Json<CampaignLink>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        service(&state)
            .get(&caller.org, &id, &link, &state.settings.public_url)
            .await?,
    ))
}

/// Rename a link or change its code.
#[utoipa::path(patch, path = "/campaigns/{id}/links/{link}", tag = "campaigns",
    params(("id" = CampaignId, Path), ("link" = CampaignLinkId, Path)), request_body = CampaignLinkPatch,
    responses((status = 200, body = CampaignLink), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, link)): ApiPath<(CampaignId, CampaignLinkId)>,
    ApiJson(patch): ApiJson<CampaignLinkPatch>,
) -> Result<Json<CampaignLink>> {
    caller.require(Permission::Market)?;
    Ok(Json(
        service(&state)
            .update(&caller.org, &id, &link, patch, &state.settings.public_url)
            .await?,
    ))
}

/// Delete a link (mails already sent keep working: the address is the storefront's).
#[utoipa::path(delete, path = "/campaigns/{id}/links/{link}", tag = "campaigns",
    params(("id" = CampaignId, Path), ("link" = CampaignLinkId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, link)): ApiPath<(CampaignId, CampaignLinkId)>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    service(&state).delete(&caller.org, &id, &link).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}
