//! Routes for venues and their seat maps.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{
    created, ApiJson, ApiPath, ApiQuery, AppState, CsvBody, Page, PageParams, UPLOAD_BODY_LIMIT,
};
use fullhouse_core::{Caller, Permission, Result};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::model::ids::*;
use crate::model::venues::*;
use crate::service::VenueService;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_venues, create_venue))
        .routes(routes!(get_venue, update_venue, delete_venue))
        // A 100,000-seat map is several megabytes of JSON or CSV: more than the default limit.
        .routes(
            routes!(get_seat_map, replace_seat_map).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        // A file is held to the configured upload limit by `CsvBody`.
        .routes(routes!(import_seat_map).layer(DefaultBodyLimit::disable()))
}

fn venues(state: &AppState) -> VenueService {
    VenueService::new(state.db.clone())
}

/// The organization's venues, oldest first.
#[utoipa::path(get, path = "/venues", tag = "venues", params(PageParams),
    responses((status = 200, body = Page<Venue>), (status = 401, body = ErrorBody)))]
async fn list_venues(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<Venue>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        venues(&state).list_venues(&caller.org, &params).await?,
    ))
}

/// Create a venue.
#[utoipa::path(post, path = "/venues", tag = "venues", request_body = NewVenue,
    responses((status = 201, body = Venue), (status = 422, body = ErrorBody)))]
async fn create_venue(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewVenue>,
) -> Result<Response> {
    caller.require(Permission::ManageData)?;
    Ok(created(
        venues(&state).create_venue(&caller.org, new).await?,
    ))
}

/// One venue.
#[utoipa::path(get, path = "/venues/{id}", tag = "venues", params(("id" = VenueId, Path)),
    responses((status = 200, body = Venue), (status = 404, body = ErrorBody)))]
async fn get_venue(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<VenueId>,
) -> Result<Json<Venue>> {
    caller.require(Permission::Read)?;
    Ok(Json(venues(&state).venue(&caller.org, &id).await?))
}

/// Change a venue.
#[utoipa::path(patch, path = "/venues/{id}", tag = "venues", params(("id" = VenueId, Path)),
    request_body = VenuePatch,
    responses((status = 200, body = Venue), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_venue(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<VenueId>,
    ApiJson(patch): ApiJson<VenuePatch>,
) -> Result<Json<Venue>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        venues(&state).update_venue(&caller.org, &id, patch).await?,
    ))
}

/// Delete a venue that no event uses, with its seat map.
#[utoipa::path(delete, path = "/venues/{id}", tag = "venues", params(("id" = VenueId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_venue(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<VenueId>,
) -> Result<StatusCode> {
    caller.require(Permission::ManageData)?;
    venues(&state).delete_venue(&caller.org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The venue's seat map: sections → groups → rows → seats, and GA areas.
#[utoipa::path(get, path = "/venues/{id}/seat-map", tag = "venues", params(("id" = VenueId, Path)),
    responses((status = 200, body = SeatMap), (status = 404, body = ErrorBody)))]
async fn get_seat_map(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<VenueId>,
) -> Result<Json<SeatMap>> {
    caller.require(Permission::Read)?;
    Ok(Json(venues(&state).seat_map(&caller.org, &id).await?))
}

/// Replace the seat map. Seats keep their ids when their address (section, group, row, label)
/// is unchanged or when the input names their id; removing a seat or GA area that has valid
/// tickets is a conflict.
#[utoipa::path(put, path = "/venues/{id}/seat-map", tag = "venues", params(("id" = VenueId, Path)),
    request_body = SeatMapInput,
    responses((status = 200, body = SeatMap), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn replace_seat_map(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<VenueId>,
    ApiJson(input): ApiJson<SeatMapInput>,
) -> Result<Json<SeatMap>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        venues(&state)
            .replace_seat_map(&caller.org, &id, input)
            .await?,
    ))
}

/// Replace the seat map from a CSV file (`Content-Type: text/csv`), in any common encoding and
/// separator. One row per seat (columns `section`, `group`, `row`, `seat`, optional `category`)
/// or per GA area (`ga`, `capacity`, optional `category`); headers may also be `sectionName`,
/// `block`, `rowName`, `seatLabel`, `gaName` or their Danish and French names. Every bad row is
/// reported with its row number, column and reason; nothing changes unless the whole file is good.
#[utoipa::path(post, path = "/venues/{id}/seat-map/import", tag = "venues",
    params(("id" = VenueId, Path)),
    request_body(content = String, content_type = "text/csv",
        description = "The seat map as CSV, with a header row"),
    responses((status = 200, body = SeatMap), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_seat_map(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<VenueId>,
    CsvBody(bytes): CsvBody,
) -> Result<Json<SeatMap>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        venues(&state)
            .import_seat_map(&caller.org, &id, bytes.to_vec())
            .await?,
    ))
}
