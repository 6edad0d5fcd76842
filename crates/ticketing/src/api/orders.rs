//! Routes for orders and tickets: placing, reading and cancelling orders, ingesting history (bulk
//! JSON, CSV) and receiving orders from an external platform's webhook.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{
    created, ApiJson, ApiPath, ApiQuery, AppState, CsvBody, Page, PageParams, UPLOAD_BODY_LIMIT,
};
use fullhouse_core::tenancy::model::Credential;
use fullhouse_core::{Caller, Permission, Result};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::model::ids::*;
use crate::model::orders::*;
use crate::service::OrderService;

pub fn router() -> OpenApiRouter<AppState> {
    // Ingest routes carry whole histories: a batch gets a larger limit than the JSON one, and a
    // file the configured upload limit (held by `CsvBody`).
    let ingest = OpenApiRouter::new()
        .routes(routes!(bulk_orders))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(import_orders))
                .layer(DefaultBodyLimit::disable()),
        );
    OpenApiRouter::new()
        .routes(routes!(list_orders, place_order))
        .routes(routes!(get_order))
        .routes(routes!(cancel_order))
        .routes(routes!(event_tickets))
        .routes(routes!(order_webhook))
        .merge(ingest)
}

fn orders(state: &AppState) -> OrderService {
    OrderService::new(state.db.clone())
}

/// Orders placed from the dashboard are the organizer's own sales; with an API token, an
/// integration's.
fn source_of(caller: &Caller) -> OrderSource {
    match caller.credential {
        Credential::ApiToken(_) => OrderSource::Api,
        Credential::Session { .. } => OrderSource::Fullhouse,
    }
}

/// `201 Created` for a new order, `200 OK` when its external id was known and nothing was booked.
fn placed_response(placed: Placed) -> Response {
    if placed.created {
        created(placed.order)
    } else {
        (StatusCode::OK, Json(placed.order)).into_response()
    }
}

/// The organization's orders, oldest first, with their tickets.
#[utoipa::path(get, path = "/orders", tag = "orders", params(OrderFilter, PageParams),
    responses((status = 200, body = Page<Order>), (status = 401, body = ErrorBody)))]
async fn list_orders(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<OrderFilter>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<Order>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        orders(&state)
            .list_orders(&caller.org, &filter, &params)
            .await?,
    ))
}

/// Place an order. Capacity, seats and GA areas are checked and taken in one transaction; an
/// order whose `external_id` is already known is returned with `200` and nothing is booked.
#[utoipa::path(post, path = "/orders", tag = "orders", request_body = NewOrder,
    responses(
        (status = 201, description = "Placed", body = Order),
        (status = 200, description = "The external id was known: the existing order", body = Order),
        (status = 409, description = "A seat is taken or a ticket type or area is sold out", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn place_order(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewOrder>,
) -> Result<Response> {
    caller.require(Permission::Sell)?;
    let placed = orders(&state)
        .place_order(&caller.org, new, source_of(&caller))
        .await?;
    Ok(placed_response(placed))
}

/// One order with its tickets.
#[utoipa::path(get, path = "/orders/{id}", tag = "orders", params(("id" = OrderId, Path)),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
async fn get_order(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<OrderId>,
) -> Result<Json<Order>> {
    caller.require(Permission::Read)?;
    Ok(Json(orders(&state).order(&caller.org, &id).await?))
}

/// Cancel an order and its tickets, giving their places back: an order awaiting payment or paid
/// becomes `cancelled` (ticketing moves no money; a checkout order's refund is checkout's
/// `/checkout/orders/{id}/cancel`). An order already expired, cancelled or refunded is returned
/// as it is.
#[utoipa::path(post, path = "/orders/{id}/cancel", tag = "orders", params(("id" = OrderId, Path)),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
async fn cancel_order(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<OrderId>,
) -> Result<Json<Order>> {
    caller.require(Permission::Sell)?;
    Ok(Json(orders(&state).cancel_order(&caller.org, &id).await?))
}

/// The tickets issued for an event, valid and cancelled, in the order they were issued.
#[utoipa::path(get, path = "/events/{id}/tickets", tag = "orders",
    params(("id" = EventId, Path), PageParams),
    responses((status = 200, body = Page<Ticket>), (status = 404, body = ErrorBody)))]
async fn event_tickets(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<EventId>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<Ticket>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        orders(&state)
            .event_tickets(&caller.org, &id, &params)
            .await?,
    ))
}

/// Ingest historical orders (up to 5,000, each with an `external_id`). Every problem is reported
/// as `orders[i].field`; nothing is written unless all orders are fine. Orders whose external id
/// is already known are skipped, so sending a batch again books nothing.
#[utoipa::path(post, path = "/orders/bulk", tag = "orders", request_body = BulkOrders,
    responses((status = 200, body = IngestSummary), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn bulk_orders(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(bulk): ApiJson<BulkOrders>,
) -> Result<Json<IngestSummary>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(orders(&state).bulk_orders(&caller.org, bulk).await?))
}

/// Import historical orders from a CSV file: one row per ticket, rows grouped into orders by
/// their order id. Headers in English, Danish or French map themselves (`orderId`,
/// `customerId`, `channel`, `createdAt`, `eventId`, `ticketTypeId`, `sectionName`, `groupName`,
/// `rowName`, `seatLabel`, `gaName`, `price`, `deliveryType`, `barcode`). Every bad cell is
/// reported with its row and column; nothing is written unless the whole file is fine. Orders
/// already imported are skipped.
#[utoipa::path(post, path = "/orders/import", tag = "orders",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = IngestSummary), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_orders(
    State(state): State<AppState>,
    caller: Caller,
    CsvBody(bytes): CsvBody,
) -> Result<Json<IngestSummary>> {
    caller.require(Permission::ManageData)?;
    let summary =
        crate::import::orders::import_csv(&orders(&state), &caller.org, bytes.to_vec()).await?;
    Ok(Json(summary))
}

/// Receive an order from an external ticketing platform. Authenticate with an API token of the
/// organization as bearer. The customer is matched by `customer.external_id`, then by email,
/// and created when unknown. A redelivery of the same order (same `id`) returns `200` with the
/// order placed the first time and books nothing.
#[utoipa::path(post, path = "/webhooks/orders", tag = "orders", request_body = WebhookOrder,
    responses(
        (status = 201, description = "Placed", body = Order),
        (status = 200, description = "Redelivery: the order placed before", body = Order),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn order_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(hook): ApiJson<WebhookOrder>,
) -> Result<Response> {
    caller.require(Permission::ManageData)?;
    let placed = orders(&state).receive_webhook(&caller.org, hook).await?;
    Ok(placed_response(placed))
}
