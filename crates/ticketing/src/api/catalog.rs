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
        .routes(routes!(list_events, create_event))
        .routes(routes!(get_event, update_event, delete_event))
        .routes(routes!(list_ticket_types, create_ticket_type))
        .routes(routes!(
            get_ticket_type,
            update_ticket_type,
            delete_ticket_type
        ))
        .routes(routes!(list_shops, create_shop))
        .routes(routes!(get_shop, update_shop, delete_shop))
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

// ------------------------------------------------------------------------------------------
// Events.

/// The organization's events in date order (then by id), optionally filtered by production,
/// venue, start time (`from` ≤ starts_at < `to`) and status. The cursor holds the last event's
/// date and id: pass `next_cursor` back as it is.
#[utoipa::path(get, path = "/events", tag = "events", params(EventFilter, PageParams),
    responses((status = 200, body = Page<Event>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<EventFilter>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<Event>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        catalog(&state)
            .list_events(&caller.org, &filter, &params)
            .await?,
    ))
}

/// Create an event of a production at a venue.
#[utoipa::path(post, path = "/events", tag = "events", request_body = NewEvent,
    responses((status = 201, body = Event), (status = 422, body = ErrorBody)))]
async fn create_event(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewEvent>,
) -> Result<Response> {
    caller.require(Permission::ManageData)?;
    Ok(created(
        catalog(&state).create_event(&caller.org, new).await?,
    ))
}

/// One event.
#[utoipa::path(get, path = "/events/{id}", tag = "events", params(("id" = EventId, Path)),
    responses((status = 200, body = Event), (status = 404, body = ErrorBody)))]
async fn get_event(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<EventId>,
) -> Result<Json<Event>> {
    caller.require(Permission::Read)?;
    Ok(Json(catalog(&state).event(&caller.org, &id).await?))
}

/// Change an event (cancel it with `{"status": "cancelled"}`).
#[utoipa::path(patch, path = "/events/{id}", tag = "events", params(("id" = EventId, Path)),
    request_body = EventPatch,
    responses((status = 200, body = Event), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_event(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<EventId>,
    ApiJson(patch): ApiJson<EventPatch>,
) -> Result<Json<Event>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        catalog(&state)
            .update_event(&caller.org, &id, patch)
            .await?,
    ))
}

/// Delete an event without tickets, with its ticket types.
#[utoipa::path(delete, path = "/events/{id}", tag = "events", params(("id" = EventId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_event(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<EventId>,
) -> Result<StatusCode> {
    caller.require(Permission::ManageData)?;
    catalog(&state).delete_event(&caller.org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------------------------------
// Ticket types.

/// The event's ticket types, oldest first.
#[utoipa::path(get, path = "/events/{id}/ticket-types", tag = "ticket types",
    params(("id" = EventId, Path), PageParams),
    responses((status = 200, body = Page<TicketType>), (status = 404, body = ErrorBody)))]
async fn list_ticket_types(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<EventId>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<TicketType>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        catalog(&state)
            .list_ticket_types(&caller.org, &id, &params)
            .await?,
    ))
}

/// Create a ticket type for the event.
#[utoipa::path(post, path = "/events/{id}/ticket-types", tag = "ticket types",
    params(("id" = EventId, Path)), request_body = NewTicketType,
    responses((status = 201, body = TicketType), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_ticket_type(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<EventId>,
    ApiJson(new): ApiJson<NewTicketType>,
) -> Result<Response> {
    caller.require(Permission::ManageData)?;
    Ok(created(
        catalog(&state)
            .create_ticket_type(&caller.org, &id, new)
            .await?,
    ))
}

/// One ticket type, with how many are sold and available.
#[utoipa::path(get, path = "/ticket-types/{id}", tag = "ticket types",
    params(("id" = TicketTypeId, Path)),
    responses((status = 200, body = TicketType), (status = 404, body = ErrorBody)))]
async fn get_ticket_type(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<TicketTypeId>,
) -> Result<Json<TicketType>> {
    caller.require(Permission::Read)?;
    Ok(Json(catalog(&state).ticket_type(&caller.org, &id).await?))
}

/// Change a ticket type; its capacity cannot go below the number sold.
#[utoipa::path(patch, path = "/ticket-types/{id}", tag = "ticket types",
    params(("id" = TicketTypeId, Path)), request_body = TicketTypePatch,
    responses((status = 200, body = TicketType), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_ticket_type(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<TicketTypeId>,
    ApiJson(patch): ApiJson<TicketTypePatch>,
) -> Result<Json<TicketType>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        catalog(&state)
            .update_ticket_type(&caller.org, &id, patch)
            .await?,
    ))
}

/// Delete a ticket type no ticket was issued for.
#[utoipa::path(delete, path = "/ticket-types/{id}", tag = "ticket types",
    params(("id" = TicketTypeId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_ticket_type(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<TicketTypeId>,
) -> Result<StatusCode> {
    caller.require(Permission::ManageData)?;
    catalog(&state).delete_ticket_type(&caller.org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------------------------------
// Shops.

/// The organization's shops, oldest first.
#[utoipa::path(get, path = "/shops", tag = "shops", params(PageParams),
    responses((status = 200, body = Page<Shop>), (status = 401, body = ErrorBody)))]
async fn list_shops(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<Shop>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        catalog(&state).list_shops(&caller.org, &params).await?,
    ))
}

/// Create a shop: the public shop or a secret shop.
#[utoipa::path(post, path = "/shops", tag = "shops", request_body = NewShop,
    responses((status = 201, body = Shop), (status = 422, body = ErrorBody)))]
async fn create_shop(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewShop>,
) -> Result<Response> {
    caller.require(Permission::ManageData)?;
    Ok(created(
        catalog(&state).create_shop(&caller.org, new).await?,
    ))
}

/// One shop, with the ids of its ticket types.
#[utoipa::path(get, path = "/shops/{id}", tag = "shops", params(("id" = ShopId, Path)),
    responses((status = 200, body = Shop), (status = 404, body = ErrorBody)))]
async fn get_shop(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ShopId>,
) -> Result<Json<Shop>> {
    caller.require(Permission::Read)?;
    Ok(Json(catalog(&state).shop(&caller.org, &id).await?))
}

/// Change a shop.
#[utoipa::path(patch, path = "/shops/{id}", tag = "shops", params(("id" = ShopId, Path)),
    request_body = ShopPatch,
    responses((status = 200, body = Shop), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_shop(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ShopId>,
    ApiJson(patch): ApiJson<ShopPatch>,
) -> Result<Json<Shop>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        catalog(&state).update_shop(&caller.org, &id, patch).await?,
    ))
}

/// Delete a shop no ticket type belongs to.
#[utoipa::path(delete, path = "/shops/{id}", tag = "shops", params(("id" = ShopId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_shop(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ShopId>,
) -> Result<StatusCode> {
    caller.require(Permission::ManageData)?;
    catalog(&state).delete_shop(&caller.org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
