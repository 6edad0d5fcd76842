//! The Jobs API: list, read, cancel, download result files.

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{Job, JobId};
use super::service::JobService;
use crate::error::{ErrorBody, Result};
use crate::http::{ApiPath, ApiQuery, AppState, Page, PageParams};
use crate::tenancy::model::{Caller, Permission};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(cancel_job))
        .routes(routes!(download_job_file))
}

fn service(state: &AppState) -> JobService {
    JobService::new(state.db.clone(), state.files.clone())
}

/// The organization's jobs, newest first.
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(PageParams),
    responses((status = 200, body = Page<Job>), (status = 401, body = ErrorBody)))]
async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Page<Job>>> {
    caller.require(Permission::Read)?;
    Ok(Json(service(&state).list(&caller.org, &params).await?))
}

/// One job: status, progress, error, result files.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", params(("id" = JobId, Path)),
    responses((status = 200, body = Job), (status = 404, body = ErrorBody)))]
async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<JobId>,
) -> Result<Json<Job>> {
    caller.require(Permission::Read)?;
    Ok(Json(service(&state).get(&caller.org, &id).await?))
}

/// Cancel a job: at once when queued, at its next progress report when running.
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs", params(("id" = JobId, Path)),
    responses((status = 200, body = Job), (status = 404, body = ErrorBody)))]
async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<JobId>,
) -> Result<Json<Job>> {
    caller.require(Permission::ManageData)?;
    Ok(Json(service(&state).cancel(&caller.org, &id).await?))
}

/// Download one of a job's result files (e.g. the rejected-records file).
#[utoipa::path(get, path = "/jobs/{id}/files/{name}", tag = "jobs",
    params(("id" = JobId, Path), ("name" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
async fn download_job_file(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, name)): ApiPath<(JobId, String)>,
) -> Result<Response> {
    caller.require(Permission::Read)?;
    let (file, bytes) = service(&state).file(&caller.org, &id, &name).await?;
    Ok(crate::http::attachment(
        &file.name,
        &file.content_type,
        bytes,
    ))
}
