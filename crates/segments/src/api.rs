//! Routes for segments, their saved views and their counts, mounted under `/api/v1`.
//!
//! Counts come from the organization's index in the [`Registry`], which the server hands to
//! these routes as an `axum::Extension`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use chrono::Utc;
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, ApiQuery, AppState, Page};
use fullhouse_core::{Caller, Permission, Result};
use fullhouse_ticketing::{EventId, ProductionId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::index::Registry;
use crate::model::*;
use crate::service::{Listing, SegmentService};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_segments, create_segment))
        .routes(routes!(get_segment, update_segment, remove_segment))
        .routes(routes!(restore_segment))
        .routes(routes!(count_segment))
        .routes(routes!(count_definition))
        .routes(routes!(list_views, create_view))
        .routes(routes!(get_view, update_view, delete_view))
        .routes(routes!(count_view))
        .merge(crate::api_connectors::router())
        .merge(crate::api_audiences::router())
        .merge(crate::api_tags::router())
        .merge(crate::api_exports::router())
        .merge(crate::api_sends::router())
}

fn service(state: &AppState) -> SegmentService {
    SegmentService::new(state.db.clone())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `true` lists the removed segments (to restore one) instead of the active ones.
    #[serde(default)]
    removed: bool,
}

/// The organization's segments by name, in one page (the list shape of every other endpoint;
/// an organization keeps tens of segments, not thousands).
#[utoipa::path(get, path = "/segments", tag = "segments", params(ListQuery),
    responses((status = 200, body = Page<Segment>), (status = 401, body = ErrorBody)))]
async fn list_segments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Page<Segment>>> {
    caller.require(Permission::Read)?;
    let listing = if query.removed {
        Listing::Removed
    } else {
        Listing::Active
    };
    Ok(Json(Page::whole(
        service(&state).list(&caller.org, listing).await?,
    )))
}

/// Create a segment.
#[utoipa::path(post, path = "/segments", tag = "segments", request_body = NewSegment,
    responses((status = 201, body = Segment), (status = 422, body = ErrorBody)))]
async fn create_segment(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewSegment>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    Ok(created(service(&state).create(&caller.org, new).await?))
}

/// One segment, removed or not.
#[utoipa::path(get, path = "/segments/{id}", tag = "segments", params(("id" = SegmentId, Path)),
    responses((status = 200, body = Segment), (status = 404, body = ErrorBody)))]
async fn get_segment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
) -> Result<Json<Segment>> {
    caller.require(Permission::Read)?;
    Ok(Json(service(&state).segment(&caller.org, &id).await?))
}

/// Change a segment's name, description or event filter: fields left out stay.
#[utoipa::path(patch, path = "/segments/{id}", tag = "segments", params(("id" = SegmentId, Path)),
    request_body = SegmentPatch,
    responses((status = 200, body = Segment), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_segment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiJson(patch): ApiJson<SegmentPatch>,
) -> Result<Json<Segment>> {
    caller.require(Permission::Market)?;
    Ok(Json(service(&state).update(&caller.org, &id, patch).await?))
}

/// Remove a segment (soft: it can be restored).
#[utoipa::path(delete, path = "/segments/{id}", tag = "segments", params(("id" = SegmentId, Path)),
    responses((status = 200, body = Segment), (status = 404, body = ErrorBody)))]
async fn remove_segment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
) -> Result<Json<Segment>> {
    caller.require(Permission::Market)?;
    Ok(Json(service(&state).remove(&caller.org, &id).await?))
}

/// Restore a removed segment.
#[utoipa::path(post, path = "/segments/{id}/restore", tag = "segments", params(("id" = SegmentId, Path)),
    responses((status = 200, body = Segment), (status = 404, body = ErrorBody)))]
async fn restore_segment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
) -> Result<Json<Segment>> {
    caller.require(Permission::Market)?;
    Ok(Json(service(&state).restore(&caller.org, &id).await?))
}

/// "Fetch data" and every filter change: the segment's count, each filter's count within it,
/// the total with all filters, and the first 50 matching customers. `production_id` /
/// `event_id` give "view for production / event" (holders of it are left out).
#[utoipa::path(post, path = "/segments/{id}/counts", tag = "segments", params(("id" = SegmentId, Path)),
    request_body = CountRequest,
    responses((status = 200, body = SegmentCounts), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn count_segment(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiJson(request): ApiJson<CountRequest>,
) -> Result<Json<SegmentCounts>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        service(&state)
            .count(&registry, &caller.org, &id, request, Utc::now())
            .await?,
    ))
}

/// An unsaved segment definition with filters: the create and edit forms' "fetch data".
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefinitionCount {
    #[serde(default)]
    pub definition: SegmentDefinition,
    // The fields of `CountRequest` are spelled out: it flattens `ViewFor` in turn, and serde's
    // `deny_unknown_fields` with a flatten inside a flatten refused `event_id` and
    // `production_id` as unknown fields (found by schemathesis).
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// View for production: its ticket holders are left out.
    #[serde(default)]
    pub production_id: Option<ProductionId>,
    /// View for event: its ticket holders are left out.
    #[serde(default)]
    pub event_id: Option<EventId>,
}

impl DefinitionCount {
    fn request(&self) -> CountRequest {
        CountRequest {
            filters: self.filters.clone(),
            view_for: ViewFor {
                production_id: self.production_id.clone(),
                event_id: self.event_id.clone(),
            },
        }
    }
}

/// Count an unsaved definition.
#[utoipa::path(post, path = "/segment-counts", tag = "segments", request_body = DefinitionCount,
    responses((status = 200, body = SegmentCounts), (status = 422, body = ErrorBody)))]
async fn count_definition(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiJson(body): ApiJson<DefinitionCount>,
) -> Result<Json<SegmentCounts>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        service(&state)
            .count_definition(
                &registry,
                &caller.org,
                body.definition.clone(),
                body.request(),
                Utc::now(),
            )
            .await?,
    ))
}

/// The saved views of a segment, in one page.
#[utoipa::path(get, path = "/segments/{id}/views", tag = "segments", params(("id" = SegmentId, Path)),
    responses((status = 200, body = Page<SegmentView>), (status = 404, body = ErrorBody)))]
async fn list_views(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
) -> Result<Json<Page<SegmentView>>> {
    caller.require(Permission::Read)?;
    Ok(Json(Page::whole(
        service(&state).views(&caller.org, &id).await?,
    )))
}

/// Save a set of filters as a view of the segment.
#[utoipa::path(post, path = "/segments/{id}/views", tag = "segments", params(("id" = SegmentId, Path)),
    request_body = NewView,
    responses((status = 201, body = SegmentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiJson(new): ApiJson<NewView>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    Ok(created(
        service(&state).create_view(&caller.org, &id, new).await?,
    ))
}

/// One saved view.
#[utoipa::path(get, path = "/segments/{id}/views/{view_id}", tag = "segments",
    params(("id" = SegmentId, Path), ("view_id" = ViewId, Path)),
    responses((status = 200, body = SegmentView), (status = 404, body = ErrorBody)))]
async fn get_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, view_id)): ApiPath<(SegmentId, ViewId)>,
) -> Result<Json<SegmentView>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        service(&state).view(&caller.org, &id, &view_id).await?,
    ))
}

/// Replace a view's name and filters.
#[utoipa::path(put, path = "/segments/{id}/views/{view_id}", tag = "segments",
    params(("id" = SegmentId, Path), ("view_id" = ViewId, Path)), request_body = NewView,
    responses((status = 200, body = SegmentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, view_id)): ApiPath<(SegmentId, ViewId)>,
    ApiJson(new): ApiJson<NewView>,
) -> Result<Json<SegmentView>> {
    caller.require(Permission::Market)?;
    Ok(Json(
        service(&state)
            .update_view(&caller.org, &id, &view_id, new)
            .await?,
    ))
}

/// Delete a saved view.
#[utoipa::path(delete, path = "/segments/{id}/views/{view_id}", tag = "segments",
    params(("id" = SegmentId, Path), ("view_id" = ViewId, Path)),
    responses((status = 204, description = "deleted"), (status = 404, body = ErrorBody)))]
async fn delete_view(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, view_id)): ApiPath<(SegmentId, ViewId)>,
) -> Result<axum::http::StatusCode> {
    caller.require(Permission::Market)?;
    service(&state)
        .delete_view(&caller.org, &id, &view_id)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Count a saved view: the segment with the view's filters, as the index sees it now (new
/// customers that match are in).
#[utoipa::path(post, path = "/segments/{id}/views/{view_id}/counts", tag = "segments",
    params(("id" = SegmentId, Path), ("view_id" = ViewId, Path)), request_body = ViewFor,
    responses((status = 200, body = SegmentCounts), (status = 404, body = ErrorBody)))]
async fn count_view(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiPath((id, view_id)): ApiPath<(SegmentId, ViewId)>,
    ApiJson(view_for): ApiJson<ViewFor>,
) -> Result<Json<SegmentCounts>> {
    caller.require(Permission::Read)?;
    let segments = service(&state);
    let view = segments.view(&caller.org, &id, &view_id).await?;
    let request = CountRequest {
        filters: view.filters,
        view_for,
    };
    Ok(Json(
        segments
            .count(&registry, &caller.org, &id, request, Utc::now())
            .await?,
    ))
}
