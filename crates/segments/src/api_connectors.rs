//! Connector routes (`/segments/connectors`) and pushes (`/segments/{id}/pushes`), beside `api`.
//!
//! Connectors hold credentials that send the organization's customers out, so creating,
//! changing and deleting one is for owners and admins (`Administer`); marketers can list them
//! (without credentials, as everybody) and push to them (`Market`).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, AppState, Page};
use fullhouse_core::jobs::{Job, JobService};
use fullhouse_core::{Caller, Permission, Result};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::connectors::model::*;
use crate::connectors::service::{ConnectorService, ConnectorSetup};
use crate::index::Registry;
use crate::jobs::push;
use crate::model::SegmentId;
use crate::selection::SelectionBody;

/// Path ids are documented by their schema; one named only in a path is not collected by
/// itself, so the connector's id is listed here.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(ConnectorId)))]
struct Ids;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<Ids as utoipa::OpenApi>::openapi())
        .routes(routes!(list_connectors, create_connector))
        .routes(routes!(get_connector, update_connector, delete_connector))
        .routes(routes!(push_segment))
}

fn service(state: &AppState, setup: &ConnectorSetup) -> ConnectorService {
    ConnectorService::new(state.db.clone(), setup.clone())
}

/// The organization's connectors by name (credentials never included).
#[utoipa::path(get, path = "/segments/connectors", tag = "segments",
    responses((status = 200, body = Page<Connector>), (status = 401, body = ErrorBody)))]
async fn list_connectors(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    caller: Caller,
) -> Result<Json<Page<Connector>>> {
    caller.require(Permission::Market)?;
    Ok(Json(Page::whole(
        service(&state, &setup).list(&caller.org).await?,
    )))
}

/// Add a connector: a Meta custom audience (`ad_account_id`, `audience_id`, the access token
/// as `credential`), an email tool's list (`list_id`, the API key) or a webhook (`url`, the
/// signing secret). The credential is stored encrypted and never returned.
#[utoipa::path(post, path = "/segments/connectors", tag = "segments", request_body = NewConnector,
    responses((status = 201, body = Connector), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_connector(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    caller: Caller,
    ApiJson(new): ApiJson<NewConnector>,
) -> Result<Response> {
    caller.require(Permission::Administer)?;
    Ok(created(
        service(&state, &setup).create(&caller.org, new).await?,
    ))
}

/// One connector.
#[utoipa::path(get, path = "/segments/connectors/{id}", tag = "segments",
    params(("id" = ConnectorId, Path)),
    responses((status = 200, body = Connector), (status = 404, body = ErrorBody)))]
async fn get_connector(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    caller: Caller,
    ApiPath(id): ApiPath<ConnectorId>,
) -> Result<Json<Connector>> {
    caller.require(Permission::Market)?;
    Ok(Json(
        service(&state, &setup).connector(&caller.org, &id).await?,
    ))
}

/// Change a connector's name, settings (replaced whole) or credential (left out: kept).
#[utoipa::path(patch, path = "/segments/connectors/{id}", tag = "segments",
    params(("id" = ConnectorId, Path)), request_body = ConnectorPatch,
    responses((status = 200, body = Connector), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_connector(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    caller: Caller,
    ApiPath(id): ApiPath<ConnectorId>,
    ApiJson(patch): ApiJson<ConnectorPatch>,
) -> Result<Json<Connector>> {
    caller.require(Permission::Administer)?;
    Ok(Json(
        service(&state, &setup)
            .update(&caller.org, &id, patch)
            .await?,
    ))
}

/// Delete a connector and its record of what was last pushed.
#[utoipa::path(delete, path = "/segments/connectors/{id}", tag = "segments",
    params(("id" = ConnectorId, Path)),
    responses((status = 204, description = "deleted"), (status = 404, body = ErrorBody)))]
async fn delete_connector(
    State(state): State<AppState>,
    Extension(setup): Extension<ConnectorSetup>,
    caller: Caller,
    ApiPath(id): ApiPath<ConnectorId>,
) -> Result<axum::http::StatusCode> {
    caller.require(Permission::Administer)?;
    service(&state, &setup).delete(&caller.org, &id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// A push of a segment's customers: the selection (the segment is the path's), the connector,
/// and whether it is a dry run.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// A saved view is pushed to Meta as a replacement, so the audience follows the view;
    /// filters are added to the audience.
    #[serde(default)]
    pub selection: SelectionBody,
    pub connector_id: ConnectorId,
    /// Only count who would be added and removed against the last push (a CSV on the job).
    #[serde(default)]
    pub dry_run: bool,
}

/// Push the segment's customers to a connector, as a job (its progress, Meta's counts and the
/// files on the Jobs page). Meta gets every customer normalized and hashed; an email tool only
/// those with an email whose newsletter permission is granted. A dry run sends nothing.
#[utoipa::path(post, path = "/segments/{id}/pushes", tag = "segments",
    params(("id" = SegmentId, Path)), request_body = PushRequest,
    responses((status = 201, body = Job), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn push_segment(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Extension(setup): Extension<ConnectorSetup>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiJson(request): ApiJson<PushRequest>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let job = push::start(
        &state.db,
        &registry,
        &setup,
        &caller,
        request.selection.of(id),
        &request.connector_id,
        request.dry_run,
    )
    .await?;
    Ok(created(
        JobService::new(state.db.clone(), state.files.clone())
            .get(&caller.org, &job)
            .await?,
    ))
}
