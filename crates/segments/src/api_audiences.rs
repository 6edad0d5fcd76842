//! Routes for the audiences segment views feed (see [`crate::view_audiences`]): make one from a
//! selection, list them, refresh one now, and choose whether it follows its view daily.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use chrono::Utc;
use fullhouse_audiences::model::{AudienceId, NewAudience};
use fullhouse_audiences::service::AudienceService;
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, AppState, Page};
use fullhouse_core::jobs::{Job, JobService};
use fullhouse_core::{Caller, Permission, Result};
use fullhouse_web::Lang;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::index::Registry;
use crate::jobs::audience;
use crate::model::SegmentId;
use crate::selection::SelectionBody;
use crate::service::SegmentService;
use crate::view_audiences::{AudienceSync, ViewAudience, ViewAudiences};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_view_audience))
        .routes(routes!(list_view_audiences))
        .routes(routes!(refresh_view_audience))
        .routes(routes!(set_view_audience_sync))
}

/// A new audience made from a selection of the segment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewViewAudience {
    #[serde(default)]
    pub selection: SelectionBody,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Uses each member's code holds (default 1).
    #[serde(default = "one")]
    pub quantity: i64,
    #[serde(default)]
    pub sync: AudienceSync,
}

fn one() -> i64 {
    1
}

/// The audience made, and the job filling it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ViewAudienceStarted {
    pub audience: ViewAudience,
    pub job: Job,
}

/// A change of how an audience follows its view.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncChange {
    pub sync: AudienceSync,
}

/// Make an audience of the selection's customers — one member per customer, bound to them, for
/// a loyalty campaign — and start the job that fills it. `sync: daily` keeps it in step with
/// the view once a day. Written to the audit log.
#[utoipa::path(post, path = "/segments/{id}/audiences", tag = "segments",
    params(("id" = SegmentId, Path)), request_body = NewViewAudience,
    responses((status = 201, body = ViewAudienceStarted), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_view_audience(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewViewAudience>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let id = SegmentId::parse(&id)?;
    let lang = Lang::from_stored(&caller.language);
    let started = start(&state, &registry, &caller, lang, id, body).await?;
    Ok(created(started))
}

/// What the API and the page share: checks the selection and the name, makes the audience and
/// its link, enqueues the first refresh and writes the audit log.
pub(crate) async fn start(
    state: &AppState,
    registry: &Arc<Registry>,
    caller: &Caller,
    lang: Lang,
    segment: SegmentId,
    body: NewViewAudience,
) -> Result<ViewAudienceStarted> {
    let org = &caller.org;
    let selection = body.selection.of(segment);
    // Resolved now to refuse a wrong selection before anything is made, and for the audit log.
    let members = SegmentService::new(state.db.clone())
        .members(registry, org, &selection, Utc::now())
        .await?;
    AudienceService::new(state.db.clone())
        .ensure_name_free(org, body.name.trim())
        .await?;
    let new = NewAudience {
        name: body.name,
        description: body.description,
        venue_id: None,
        event_ids: Vec::new(),
    };
    let link = ViewAudiences::new(state.db.clone())
        .create(
            org,
            selection,
            new,
            body.quantity,
            body.sync,
            &caller.actor(),
        )
        .await?;
    let name = AudienceService::new(state.db.clone())
        .get(org, &link.audience_id)
        .await?
        .name;
    let txn = state.db.begin_write().await?;
    let job = audience::enqueue(
        &txn,
        org,
        &link.audience_id,
        &name,
        lang,
        Some(caller.actor()),
    )
    .await?;
    members
        .audit(
            &txn,
            caller,
            "segment.audience",
            link.audience_id.as_str(),
            json!({ "audience": name, "sync": link.sync, "job_id": job }),
        )
        .await?;
    txn.commit().await?;
    let job = JobService::new(state.db.clone(), state.files.clone())
        .get(org, &job)
        .await?;
    Ok(ViewAudienceStarted {
        audience: link,
        job,
    })
}

/// The audiences segment selections feed, newest first.
#[utoipa::path(get, path = "/segments/audiences", tag = "segments",
    responses((status = 200, body = Page<ViewAudience>), (status = 401, body = ErrorBody)))]
async fn list_view_audiences(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Page<ViewAudience>>> {
    caller.require(Permission::Read)?;
    let items = ViewAudiences::new(state.db.clone())
        .list(&caller.org, None)
        .await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Refresh the audience from its selection now, as a job. Written to the audit log.
#[utoipa::path(post, path = "/segments/audiences/{audience_id}/refresh", tag = "segments",
    params(("audience_id" = AudienceId, Path)),
    responses((status = 201, body = Job), (status = 404, body = ErrorBody)))]
async fn refresh_view_audience(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiPath(audience_id): ApiPath<String>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let lang = Lang::from_stored(&caller.language);
    let job = refresh(&state, &registry, &caller, lang, &audience_id).await?;
    Ok(created(job))
}

/// Starts a refresh (the API's and the page's).
pub(crate) async fn refresh(
    state: &AppState,
    registry: &Arc<Registry>,
    caller: &Caller,
    lang: Lang,
    audience_id: &str,
) -> Result<Job> {
    let org = &caller.org;
    let audience_id = AudienceId::parse(audience_id)?;
    let link = ViewAudiences::new(state.db.clone())
        .get(org, &audience_id)
        .await?;
    let name = AudienceService::new(state.db.clone())
        .get(org, &audience_id)
        .await?
        .name;
    let members = SegmentService::new(state.db.clone())
        .members(registry, org, &link.selection, Utc::now())
        .await?;
    let txn = state.db.begin_write().await?;
    let job = audience::enqueue(&txn, org, &audience_id, &name, lang, Some(caller.actor())).await?;
    members
        .audit(
            &txn,
            caller,
            "segment.audience",
            audience_id.as_str(),
            json!({ "audience": name, "refresh": true, "job_id": job }),
        )
        .await?;
    txn.commit().await?;
    JobService::new(state.db.clone(), state.files.clone())
        .get(org, &job)
        .await
}

/// Choose whether the audience follows its view daily or only when refreshed.
#[utoipa::path(put, path = "/segments/audiences/{audience_id}/sync", tag = "segments",
    params(("audience_id" = AudienceId, Path)), request_body = SyncChange,
    responses((status = 200, body = ViewAudience), (status = 404, body = ErrorBody)))]
async fn set_view_audience_sync(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(audience_id): ApiPath<String>,
    ApiJson(change): ApiJson<SyncChange>,
) -> Result<Json<ViewAudience>> {
    caller.require(Permission::Market)?;
    let audience_id = AudienceId::parse(&audience_id)?;
    let link = ViewAudiences::new(state.db.clone())
        .set_sync(&caller.org, &audience_id, change.sync)
        .await?;
    Ok(Json(link))
}
