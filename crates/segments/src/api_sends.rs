//! Campaign-link sends in the JSON API: start one for a view of a segment, preview its mail for
//! one real customer of the view, read its counts and its recipients (see [`crate::sends`]).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, ApiQuery, AppState, Page, PageParams};
use fullhouse_core::jobs::{Job, JobService};
use fullhouse_core::mail::Rendered;
use fullhouse_core::{Caller, Permission, Result};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::index::Registry;
use crate::model::SegmentId;
use crate::sends::run::{preview_customer, Composer};
use crate::sends::{CampaignSend, NewSend, Recipient, SendId, SendService};

/// Path ids are documented by their schema; a schema named only in a path parameter is not
/// collected by itself.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(SendId)))]
struct Ids;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<Ids as utoipa::OpenApi>::openapi())
        .routes(routes!(list_sends, start_send))
        .routes(routes!(preview_send))
        .routes(routes!(get_send))
        .routes(routes!(send_recipients))
}

fn service(state: &AppState) -> SendService {
    SendService::new(state.db.clone())
}

/// The segment's campaign-link sends, oldest first, with their counts.
#[utoipa::path(get, path = "/segments/{id}/sends", tag = "segments", params(("id" = SegmentId, Path), PageParams),
    responses((status = 200, body = Page<CampaignSend>), (status = 404, body = ErrorBody)))]
async fn list_sends(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<CampaignSend>>> {
    caller.require(Permission::Market)?;
    Ok(Json(service(&state).list(&caller.org, &id, &params).await?))
}

/// Mail a campaign link to the customers of a view shown for an event or production, as a job
/// (`segments.send`, on the Jobs page). Only customers whose email permission allows it when
/// the job runs get the mail, each once; every member is recorded with what happened. 422
/// naming `event_id` when the view is not shown for an event or production, `link_id` when the
/// link does not open it.
#[utoipa::path(post, path = "/segments/{id}/sends", tag = "segments", params(("id" = SegmentId, Path)),
    request_body = NewSend,
    responses((status = 201, body = Job), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_send(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiJson(new): ApiJson<NewSend>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let (_, job) = service(&state)
        .start(&registry, &caller, &id, new, &state.settings.public_url)
        .await?;
    Ok(created(
        JobService::new(state.db.clone(), state.files.clone())
            .get(&caller.org, &job)
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PreviewQuery {
    /// A customer of the view to write the preview for; the view's first customer with an
    /// address when left out.
    #[serde(default)]
    customer_id: Option<String>,
}

/// The mail a send would queue, rendered for one real customer of the view (the unsubscribe
/// link is a placeholder). Nothing is sent or recorded.
#[utoipa::path(post, path = "/segments/{id}/sends/preview", tag = "segments", params(("id" = SegmentId, Path), PreviewQuery),
    request_body = NewSend,
    responses((status = 200, body = Rendered), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview_send(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiQuery(query): ApiQuery<PreviewQuery>,
    ApiJson(new): ApiJson<NewSend>,
) -> Result<Json<Rendered>> {
    caller.require(Permission::Market)?;
    let public_url = &state.settings.public_url;
    let sends = service(&state);
    let (members, link) = sends
        .check(&registry, &caller.org, &id, &new, public_url)
        .await?;
    let customer = preview_customer(
        &state.db,
        &caller.org,
        &members,
        query.customer_id.as_deref(),
    )
    .await?;
    let composer = Composer::new(
        &state.db,
        &caller.org,
        &new.template,
        new.subject.trim(),
        &new.text,
        &link.url,
        public_url,
    )
    .await?;
    Ok(Json(composer.preview(&customer).await?))
}

/// A send: what was sent to which selection, by whom, and its counts so far (members, queued,
/// skipped for lack of permission, skipped for lack of an address).
#[utoipa::path(get, path = "/segments/sends/{send}", tag = "segments", params(("send" = SendId, Path)),
    responses((status = 200, body = CampaignSend), (status = 404, body = ErrorBody)))]
async fn get_send(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(send): ApiPath<SendId>,
) -> Result<Json<CampaignSend>> {
    caller.require(Permission::Market)?;
    Ok(Json(service(&state).get(&caller.org, &send).await?))
}

/// The send's recipients: every member of the selection the job has reached, by customer id,
/// with what happened (`queued`, `skipped_no_consent`, `skipped_no_email`).
#[utoipa::path(get, path = "/segments/sends/{send}/recipients", tag = "segments",
    params(("send" = SendId, Path), PageParams),
    responses((status = 200, body = Page<Recipient>), (status = 404, body = ErrorBody)))]
async fn send_recipients(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(send): ApiPath<SendId>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<Recipient>>> {
    caller.require(Permission::Market)?;
    Ok(Json(
        service(&state)
            .recipients(&caller.org, &send, &params)
            .await?,
    ))
}
