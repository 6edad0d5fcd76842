//! Routes for productions, events, ticket types and shops.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, ApiQuery, AppState, Page, PageParams};
use fullhouse_core::{Caller, Permission, Result};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::model::catalog::*;
use crate::model::ids::*;
use crate::service::CatalogService;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_productions, create_production))
        .routes(routes!(
            get_production,
            update_production,
            delete_production
        ))
}

fn catalog(state: &AppState) -> CatalogService {
    CatalogService::new(state.db.clone())
}

/// The organization's productions, oldest first.
#[utoipa::path(get, path = "/productions", tag = "productions", params(PageParams),
    responses((status = 200, body = Page<Production>), (status = 401, body = ErrorBody)))]
async fn list_productions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<Production>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        catalog(&state)
            .list_productions(&caller.org, &params)
            .await?,
    ))
}

/// Create a production.
#[utoipa::path(post, path = "/productions", tag = "productions", request_body = NewProduction,
    responses((status = 201, body = Production), (status = 422, body = ErrorBody)))]
async fn create_production(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewProduction>,
) -> Result<Response> {
    caller.require(Permission::ManageData)?;
    Ok(created(
        catalog(&state).create_production(&caller.org, new).await?,
    ))
}

/// One production.
#[utoipa::path(get, path = "/productions/{id}", tag = "productions", params(("id" = ProductionId, Path)),
    responses((status = 200, body = Production), (status = 404, body = ErrorBody)))]
async fn get_production(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ProductionId>,
) -> Result<Json<Production>> {
    caller.require(Permission::Read)?;
    Ok(Json(catalog(&state).production(&caller.org, &id).await?))
}

/// Change a production.
#[utoipa::path(patch, path = "/productions/{id}", tag = "productions", params(("id" = ProductionId, Path)),
    request_body = ProductionPatch,
    responses((status = 200, body = Production), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_production(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ProductionId>,
    ApiJson(patch): ApiJson<ProductionPatch>,
) -> Result<Json<Production>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        catalog(&state)
            .update_production(&caller.org, &id, patch)
            .await?,
    ))
}

/// Delete a production that has no events.
#[utoipa::path(delete, path = "/productions/{id}", tag = "productions", params(("id" = ProductionId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_production(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ProductionId>,
) -> Result<StatusCode> {
    caller.require(Permission::ManageData)?;
    catalog(&state).delete_production(&caller.org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
