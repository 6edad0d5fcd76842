//! Routes of the bulk tag (see [`crate::tags`]): the tags beside a selection, tag a selection,
//! list a segment's tag actions, undo one.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use chrono::Utc;
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, ApiQuery, AppState, Page};
use fullhouse_core::jobs::{Job, JobService};
use fullhouse_core::{Caller, Error, Permission, Result};
use fullhouse_ticketing::{EventId, ProductionId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::index::Registry;
use crate::model::{Filter, SegmentId, ViewFor, ViewId};
use crate::selection::{Selection, SelectionBody};
use crate::tags::{TagAction, TagActionId, TagOverview, TagService};

/// Path ids are documented by their schema; one named only in a path is listed here.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(TagActionId)))]
struct Ids;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<Ids as utoipa::OpenApi>::openapi())
        .routes(routes!(segment_tags))
        .routes(routes!(list_tag_actions, start_tag_action))
        .routes(routes!(undo_tag_action))
}

/// A selection in a query string: a saved view, or filters as JSON, and "view for".
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SelectionQuery {
    /// A saved view of the segment.
    #[serde(default)]
    view_id: Option<ViewId>,
    /// Filters as a JSON array (the `filters` of a count request), when no view is named.
    #[serde(default)]
    filters: Option<String>,
    #[serde(default)]
    production_id: Option<ProductionId>,
    #[serde(default)]
    event_id: Option<EventId>,
}

impl SelectionQuery {
    fn of(self, segment_id: SegmentId) -> Result<Selection> {
        let filters: Vec<Filter> = match self.filters.as_deref().map(str::trim) {
            None | Some("") => Vec::new(),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                Error::invalid("filters", format!("not a JSON list of filters: {e}"))
            })?,
        };
        Ok(Selection {
            segment_id,
            view_id: self.view_id,
            filters,
            view_for: ViewFor {
                production_id: self.production_id,
                event_id: self.event_id,
            },
        })
    }
}

/// Tag the selection's customers.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTagAction {
    #[serde(default)]
    pub selection: SelectionBody,
    /// A new or existing tag (a-z, 0-9, `_` and `-`; capitals are lowered).
    pub tag: String,
}

/// The organization's tags, each with how many of the selection's customers have it and how
/// many have it in all: what the tag page shows before "Apply".
#[utoipa::path(get, path = "/segments/{id}/tags", tag = "segments",
    params(("id" = SegmentId, Path), SelectionQuery),
    responses((status = 200, body = TagOverview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn segment_tags(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiQuery(query): ApiQuery<SelectionQuery>,
) -> Result<Json<TagOverview>> {
    caller.require(Permission::Read)?;
    let selection = query.of(id)?;
    Ok(Json(
        TagService::new(state.db.clone())
            .overview(&registry, &caller.org, &selection, Utc::now())
            .await?,
    ))
}

/// The segment's latest 50 tag actions, newest first.
#[utoipa::path(get, path = "/segments/{id}/tag-actions", tag = "segments",
    params(("id" = SegmentId, Path)),
    responses((status = 200, body = Page<TagAction>), (status = 404, body = ErrorBody)))]
async fn list_tag_actions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
) -> Result<Json<Page<TagAction>>> {
    caller.require(Permission::Read)?;
    // 404 for a segment of another organization, not an empty list.
    crate::service::SegmentService::new(state.db.clone())
        .segment(&caller.org, &id)
        .await?;
    Ok(Json(Page::whole(
        TagService::new(state.db.clone())
            .actions(&caller.org, &id)
            .await?,
    )))
}

/// Add a tag to every customer of the selection, as a job (its progress on the Jobs page).
/// Customers who have the tag already are left as they are and are not undone later. Written
/// to the audit log (`segment.tagged`).
#[utoipa::path(post, path = "/segments/{id}/tag-actions", tag = "segments",
    params(("id" = SegmentId, Path)), request_body = NewTagAction,
    responses((status = 201, body = Job), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_tag_action(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiJson(new): ApiJson<NewTagAction>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let selection = new.selection.of(id);
    let (_, job) = TagService::new(state.db.clone())
        .start(&registry, &caller, &selection, &new.tag, Utc::now())
        .await?;
    Ok(created(
        JobService::new(state.db.clone(), state.files.clone())
            .get(&caller.org, &job)
            .await?,
    ))
}

/// Undo a tag action, as a job: the tag goes from the customers the action added it to, and
/// only from them. 409 while the action's own job still runs, and once undone. Written to the
/// audit log (`segment.untagged`).
#[utoipa::path(post, path = "/segments/tag-actions/{id}/undo", tag = "segments",
    params(("id" = TagActionId, Path)),
    responses((status = 201, body = Job), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn undo_tag_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<TagActionId>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let job = TagService::new(state.db.clone())
        .undo(&caller, &id, Utc::now())
        .await?;
    Ok(created(
        JobService::new(state.db.clone(), state.files.clone())
            .get(&caller.org, &job)
            .await?,
    ))
}
