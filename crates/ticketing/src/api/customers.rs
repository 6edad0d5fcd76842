//! Routes for customers: CRUD, consents, tags, GDPR export and erasure, bulk JSON ingest and
//! CSV import.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{
    created, ApiJson, ApiPath, ApiQuery, AppState, CsvBody, Page, UPLOAD_BODY_LIMIT,
};
use fullhouse_core::{Caller, Permission, Result};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::model::customers::*;
use crate::model::ids::*;
use crate::service::CustomerService;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer, erase_customer))
        .routes(routes!(export_customer))
        .routes(routes!(set_permission))
        .routes(routes!(add_tag))
        .routes(routes!(remove_tag))
        .merge(
            // Batches are larger than the 2 MB every other route accepts.
            OpenApiRouter::new()
                .routes(routes!(bulk_upsert))
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .merge(
            // Files are held to the configured upload limit by `CsvBody`.
            OpenApiRouter::new()
                .routes(routes!(import_customers))
                .layer(DefaultBodyLimit::disable()),
        )
}

fn customers(state: &AppState) -> CustomerService {
    CustomerService::new(state.db.clone())
}

/// The organization's customers, oldest first; `q` searches, `tag` filters.
#[utoipa::path(get, path = "/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = Page<Customer>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_customers(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<CustomerQuery>,
) -> Result<Json<Page<Customer>>> {
    caller.require(Permission::Read)?;
    Ok(Json(customers(&state).list(&caller.org, &query).await?))
}

/// Create a customer.
#[utoipa::path(post, path = "/customers", tag = "customers", request_body = NewCustomer,
    responses((status = 201, body = Customer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_customer(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewCustomer>,
) -> Result<Response> {
    caller.require(Permission::ManageData)?;
    Ok(created(customers(&state).create(&caller.org, new).await?))
}

/// One customer, with consents and tags.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers", params(("id" = CustomerId, Path)),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody)))]
async fn get_customer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CustomerId>,
) -> Result<Json<Customer>> {
    caller.require(Permission::Read)?;
    Ok(Json(customers(&state).customer(&caller.org, &id).await?))
}

/// Change a customer: fields left out stay, `null` clears.
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", params(("id" = CustomerId, Path)),
    request_body = CustomerPatch,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_customer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CustomerId>,
    ApiJson(patch): ApiJson<CustomerPatch>,
) -> Result<Json<Customer>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        customers(&state).update(&caller.org, &id, patch).await?,
    ))
}

/// GDPR erasure: deletes the customer, or anonymizes one with orders so sales history stays.
#[utoipa::path(delete, path = "/customers/{id}", tag = "customers", params(("id" = CustomerId, Path)),
    responses((status = 200, body = Erasure), (status = 404, body = ErrorBody)))]
async fn erase_customer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CustomerId>,
) -> Result<Json<Erasure>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(customers(&state).erase(&caller, &id).await?))
}

/// GDPR data export: the customer, consents, tags, orders and tickets. Recorded in the audit log.
#[utoipa::path(get, path = "/customers/{id}/export", tag = "customers", params(("id" = CustomerId, Path)),
    responses((status = 200, body = CustomerExport), (status = 404, body = ErrorBody)))]
async fn export_customer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CustomerId>,
) -> Result<Json<CustomerExport>> {
    caller.require(Permission::Read)?;
    Ok(Json(customers(&state).export(&caller, &id).await?))
}

/// Grant or withdraw one consent; the time and source are recorded.
#[utoipa::path(put, path = "/customers/{id}/permissions/{permission}", tag = "customers",
    params(("id" = CustomerId, Path), ("permission" = String, Path, description = "The consent's key, e.g. `newsletter`")),
    request_body = PermissionChange,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_permission(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, permission)): ApiPath<(CustomerId, String)>,
    ApiJson(change): ApiJson<PermissionChange>,
) -> Result<Json<Customer>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        customers(&state)
            .set_permission(&caller.org, &id, &permission, change)
            .await?,
    ))
}

/// Tag a customer; tagging twice changes nothing.
#[utoipa::path(post, path = "/customers/{id}/tags", tag = "customers", params(("id" = CustomerId, Path)),
    request_body = NewTag,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_tag(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CustomerId>,
    ApiJson(new): ApiJson<NewTag>,
) -> Result<Json<Customer>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        customers(&state)
            .add_tag(&caller.org, &id, &new.tag)
            .await?,
    ))
}

/// Remove a tag from a customer; removing one it does not have changes nothing.
#[utoipa::path(delete, path = "/customers/{id}/tags/{tag}", tag = "customers",
    params(("id" = CustomerId, Path), ("tag" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn remove_tag(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, tag)): ApiPath<(CustomerId, String)>,
) -> Result<StatusCode> {
    caller.require(Permission::ManageData)?;
    customers(&state).remove_tag(&caller.org, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create or update up to 10,000 customers by `external_id`, all or nothing.
#[utoipa::path(post, path = "/customers/bulk", tag = "customers", request_body = BulkCustomers,
    responses((status = 200, body = BulkOutcome), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn bulk_upsert(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(bulk): ApiJson<BulkCustomers>,
) -> Result<Json<BulkOutcome>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        customers(&state)
            .bulk_upsert(&caller.org, bulk.customers)
            .await?,
    ))
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportParams {
    /// Check the file and count what would change, without writing.
    dry_run: Option<bool>,
}

/// Import customers from a CSV file sent as the body (any common encoding and separator;
/// headers in English, Danish or French). All or nothing: any bad cell fails the file, and the
/// error lists every bad cell with its row and column. Rows update the customer with the same
/// external id (or email, when the file has no external id column) and create the others.
#[utoipa::path(post, path = "/customers/import", tag = "customers", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportOutcome), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn import_customers(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ImportParams>,
    CsvBody(bytes): CsvBody,
) -> Result<Json<ImportOutcome>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(
        customers(&state)
            .import_csv(&caller.org, bytes, params.dry_run.unwrap_or(false))
            .await?,
    ))
}
